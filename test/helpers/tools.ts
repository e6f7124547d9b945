/**
 * Tests that drive a program of the system (nginx, Chromium, systemd's tools, script(1) for a
 * terminal) ask for it first.
 * Under `npm test` on a machine without it they are skipped, and the skip says which `apt-get
 * install` brings it; under CI (CI=true) a missing program is a failure, so CI keeps running them
 * (.ci/run installs them all).
 */
import { accessSync, constants } from 'node:fs';
import { test } from 'node:test';

export interface Tool {
  /** how a reader knows it: "nginx" */
  name: string;
  /** the executable paths that may hold it; the first one present is used */
  paths: string[];
  /** the Debian command that installs it */
  install: string;
}

export const NGINX_TOOL: Tool = { name: 'nginx', paths: ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'], install: 'apt-get install nginx-light' };
export const CHROMIUM_TOOL: Tool = { name: 'Chromium', paths: [process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'], install: 'apt-get install chromium' };
export const SOCKET_ACTIVATE_TOOL: Tool = { name: 'systemd-socket-activate', paths: ['/usr/bin/systemd-socket-activate'], install: 'apt-get install --no-install-recommends systemd' };
export const SYSTEMD_NOTIFY_TOOL: Tool = { name: 'systemd-notify', paths: ['/usr/bin/systemd-notify', '/bin/systemd-notify'], install: 'apt-get install --no-install-recommends systemd' };
export const SYSTEMD_ANALYZE_TOOL: Tool = { name: 'systemd-analyze', paths: ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'], install: 'apt-get install --no-install-recommends systemd' };
export const SCRIPT_TOOL: Tool = { name: 'script(1)', paths: ['/usr/bin/script', '/bin/script'], install: 'apt-get install bsdutils' };
export const KILL_TOOL: Tool = { name: '/bin/kill', paths: ['/bin/kill'], install: 'apt-get install --no-install-recommends procps' };

/** Where `tool` is installed, or undefined. */
export function which(tool: Tool): string | undefined {
  return tool.paths.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Options for a `describe` or `it` that needs `tools`: `{ skip: "needs nginx: apt-get install
 * nginx-light" }` when one is missing, else `{}`. Under CI a missing tool also adds a failing test
 * to the file, named for the tool, so the skip cannot pass unseen.
 */
export function needs(...tools: Tool[]): { skip?: string } {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length === 0) return {};
  const why = `needs ${missing.map((t) => t.name).join(' and ')}: ${[...new Set(missing.map((t) => t.install))].join('; ')}`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    test(`${missing.map((t) => t.name).join(' and ')} installed (CI runs every test)`, () => {
      throw new Error(`CI=${process.env.CI}: a skip is a failure here; ${why}`);
    });
  }
  return { skip: why };
}
