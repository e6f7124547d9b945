/**
 * The terminal as a full-screen view needs it (tsgictl top): the alternate screen, a hidden
 * cursor, keys one at a time (raw mode) and resizes; and the restore, on every way out.
 */

export interface Terminal {
  /** stdout and stdin are both terminals: a view can redraw in place and read keys */
  readonly interactive: boolean;
  size(): { columns: number; rows: number };
  /** Take over the screen; returns the restore (idempotent; also run if the process exits). */
  enter(onKey: (key: string) => void, onResize: () => void): () => void;
}

const ENTER = '\u001b[?1049h\u001b[?25l';
const LEAVE = '\u001b[?25h\u001b[?1049l';

export function realTerminal(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Terminal {
  return {
    interactive: stdout.isTTY === true && stdin.isTTY === true,
    // a pty whose size nobody set says 0
    size: () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 }),
    enter(onKey, onResize) {
      const onData = (chunk: string): void => {
        for (const key of chunk) onKey(key);
      };
      stdout.write(ENTER);
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      stdin.on('data', onData);
      stdin.resume();
      stdout.on('resize', onResize);
      let restored = false;
      const restore = (): void => {
        if (restored) return;
        restored = true;
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        stdout.off('resize', onResize);
        process.off('exit', restore);
        stdout.write(LEAVE);
      };
      // an uncaught error must not leave the user's terminal raw, cursorless, on another screen
      process.on('exit', restore);
      return restore;
    },
  };
}
