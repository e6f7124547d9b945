/**
 * What a tsgid started by hand should do that a service should not. On a terminal, SIGHUP means
 * "the terminal closed" (stop, as any foreground program does); for a daemon off any terminal
 * (systemd, Kubernetes, nohup) it keeps gunicorn's meaning,
 * "re-read the config". And a tsgid started by `npx tsgid` / `npm exec` stops when npm goes:
 * npm does not pass a `kill` on to what it runs, which would otherwise live on under PID 1,
 * holding its ports.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';

/**
 * True when this process runs on a terminal: it has a controlling terminal (opening /dev/tty
 * succeeds only then) and its stdin, stdout or stderr is a terminal. The second half keeps
 * gunicorn's SIGHUP for a tsgid whose output goes elsewhere though a terminal started it
 * (`nohup`, which redirects them; a test runner's pipes).
 */
export function onTerminal(): boolean {
  if (![0, 1, 2].some((fd) => isatty(fd))) return false;
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Under `npm exec` (npx): calls `onGone` once npm's process — tsgid's parent, or the parent of
 * the shell npm ran it through — has exited, or tsgid was handed to another parent. Polls once
 * a second. Linux (/proc) only. Returns npm's pid, or undefined when not started by npm exec.
 *
 * `inherited`: the npm a tsgid this one upgrades was watching (daemon/upgrade/). Its parent is
 * that tsgid, which exits once this one serves: only npm's own exit counts then.
 */
export function watchLauncher(onGone: (pid: number) => void, env: NodeJS.ProcessEnv = process.env, inherited?: number): number | undefined {
  if (inherited === undefined && env.npm_command !== 'exec') return undefined;
  const parent = process.ppid;
  const launcher = inherited ?? findNpm(parent);
  if (launcher === undefined) return undefined;
  const timer = setInterval(() => {
    if ((inherited !== undefined || process.ppid === parent) && alive(launcher)) return;
    clearInterval(timer);
    onGone(launcher);
  }, 1000);
  timer.unref();
  return launcher;
}

const NPM = /(^|[/\0 ])(npm|npx)(-cli\.js)?(\0| |$)/;
const SHELL = /^(\/\S*\/)?(sh|bash|dash|zsh)\0/;

/** `parent` when it is npm, its parent when `parent` is a shell npm started; else undefined. */
function findNpm(parent: number): number | undefined {
  const cmd = read(`/proc/${parent}/cmdline`);
  if (cmd === undefined) return undefined;
  if (NPM.test(cmd)) return parent;
  if (!SHELL.test(cmd)) return undefined;
  // the parent pid is the field after the parenthesised command name, which may hold spaces
  const stat = read(`/proc/${parent}/stat`);
  const grand = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(grand) && grand > 1 && NPM.test(read(`/proc/${grand}/cmdline`) ?? '') ? grand : undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
