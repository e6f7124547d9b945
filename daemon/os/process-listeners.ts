/**
 * What a WorkerProcess (process-ops.ts's forked worker, command-process.ts's program) tells the
 * pool: its messages, and its exit once; and the exit Node never emits for a process that never
 * started, so that nothing waits for it for ever.
 */

/** What a shell answers for a command it cannot run; shown as the exit code of a process that never started. */
export const EXIT_CANNOT_RUN = 127;

type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

export class ProcessListeners {
  private readonly messages: Array<(msg: unknown) => void> = [];
  private readonly exits: ExitListener[] = [];
  private gone = false;

  onMessage(fn: (msg: unknown) => void): void {
    this.messages.push(fn);
  }

  onExit(fn: ExitListener): void {
    this.exits.push(fn);
  }

  message(msg: unknown): void {
    for (const fn of this.messages) fn(msg);
  }

  /** Node's 'exit', or neverStarted()'s: told once, whichever comes first. */
  readonly exit = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (this.gone) return;
    this.gone = true;
    for (const fn of this.exits) fn(code, signal);
  };

  /** The process never started (spawn's 'error' with no pid): its boot error, then an exit on the next turn. */
  neverStarted(message: string): void {
    this.message({ t: 'boot-error', message });
    setImmediate(() => this.exit(EXIT_CANNOT_RUN, null));
  }
}
