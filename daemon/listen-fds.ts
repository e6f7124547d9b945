/**
 * systemd socket activation (sd_listen_fds): listening sockets handed to tsgid as fds 3, 4, …
 * with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES. Each fd goes to the app named like it
 * (FileDescriptorName= in the .socket unit), so systemd keeps the sockets, and connections made
 * while tsgid restarts wait in their backlog instead of being refused.
 */

/** The first passed fd, by the protocol (0, 1, 2 are stdio). */
const SD_LISTEN_FDS_START = 3;

export interface PassedFd {
  fd: number;
  /** the FileDescriptorName= of the socket; "unknown" when none was given, as systemd does */
  name: string;
}

export class PassedFds {
  private unclaimed: PassedFd[];

  constructor(fds: PassedFd[]) {
    this.unclaimed = fds;
  }

  /**
   * The fds for this app, handed out once. Without LISTEN_FDNAMES (names all "unknown") a config
   * with a single app takes them all, as that can mean nothing else.
   */
  take(app: string, appCount: number): PassedFd[] {
    const mine = this.unclaimed.filter((p) => p.name === app || (appCount === 1 && p.name === 'unknown'));
    this.unclaimed = this.unclaimed.filter((p) => !mine.includes(p));
    return mine;
  }

  /** Passed fds no app claimed (yet: an app added by a later config reload may take them). */
  get left(): readonly PassedFd[] {
    return this.unclaimed;
  }
}

/**
 * Read and remove the activation variables, so the workers (which inherit the environment) do
 * not believe the fds are theirs. Fds meant for another process (LISTEN_PID differs) are ignored.
 */
export function takePassedFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): PassedFds {
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === pid;
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!forUs || !Number.isInteger(count) || count <= 0) return new PassedFds([]);
  const fds: PassedFd[] = [];
  for (let i = 0; i < count; i++) fds.push({ fd: SD_LISTEN_FDS_START + i, name: names[i] || 'unknown' });
  return new PassedFds(fds);
}
