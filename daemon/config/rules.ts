/**
 * Checks across settings, declared on a section in settings.ts and run once its settings are parsed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Rule } from './declare.js';
import { formatPath, ValueError, type Path } from './issues.js';
import { isLoopback, listensOverlap, type ListenAddress } from './listen.js';
import { appModules, MODULE_EXTENSIONS } from './modules.js';

export function exactlyOne<K extends string>(a: K, b: K): Rule<Partial<Record<K, unknown>>> {
  return {
    description: `Exactly one of \`${a}\` or \`${b}\` is set.`,
    schema: { oneOf: [{ properties: { [a]: true }, required: [a] }, { properties: { [b]: true }, required: [b] }] },
    check(values) {
      if (values[a] !== undefined && values[b] !== undefined) throw new ValueError(`expected only one of "${a}" or "${b}", got both`, undefined, [b], 'key');
      if (values[a] === undefined && values[b] === undefined) throw new ValueError(`expected one of "${a}" or "${b}", got neither`, undefined, [], 'key');
    },
  };
}

export const modulesExist: Rule<{ app?: string; mounts?: Record<string, string>; cwd: string }> = {
  description: "Every module's file exists, relative to `cwd`.",
  check(values) {
    const missing = appModules(values).find((m) => m.file === undefined);
    if (!missing) return;
    const base = resolve(values.cwd, missing.modulePath);
    const message = `module file not found: ${JSON.stringify(missing.modulePath)} (looked for ${base}, then with ${MODULE_EXTENSIONS.join(' ')}, then ${base}/index.*)`;
    throw new ValueError(message, 'TSGI_ERR_CONFIG_APP_MISSING', missing.key);
  },
};

/** No two of an app's listen addresses clash. */
export const distinctListens: Rule<{ listen: ListenAddress[] }> = {
  description: 'No listen address is given twice.',
  check: (values) => checkClashes(values.listen.map((addr, i) => ({ path: ['listen', i], addr }))),
};

/** No two listen addresses in the whole file clash: the admin API's and every app's. */
export const uniqueListens: Rule<{ admin: { listen: ListenAddress }; apps: Record<string, { listen: ListenAddress[] }> }> = {
  description: 'No two apps, and not the admin API, share a listen address.',
  check(values) {
    const all: { path: Path; addr: ListenAddress }[] = [{ path: ['admin', 'listen'], addr: values.admin.listen }];
    for (const [name, app] of Object.entries(values.apps)) all.push(...app.listen.map((addr, i) => ({ path: ['apps', name, 'listen', i], addr })));
    checkClashes(all);
  },
};

function checkClashes(entries: { path: Path; addr: ListenAddress }[]): void {
  entries.forEach((b, j) => {
    const a = entries.slice(0, j).find((e) => listensOverlap(e.addr, b.addr));
    if (a) throw new ValueError(`expected a listen address not used elsewhere, got "${b.addr.raw}", which clashes with ${formatPath(a.path)} ("${a.addr.raw}")`, undefined, b.path);
  });
}

/**
 * The admin API on a non-loopback TCP address needs a token: one given, or a non-empty token
 * file (a missing one would be generated, but then anyone who can reach the port is refused only
 * by a secret nobody was handed; tsgid refuses to start instead, and `--check` says so).
 */
export const adminExposure: Rule<{ listen: ListenAddress; token?: string; token_file: string }> = {
  description: 'The admin API on a TCP address that is not loopback needs `admin.token`, or an `admin.token_file` that holds one (tsgid refuses to start otherwise).',
  check(values) {
    const { listen, token, token_file: file } = values;
    if (listen.kind !== 'tcp' || isLoopback(listen.host) || (token !== undefined && token !== '')) return;
    let fromFile = '';
    try {
      fromFile = readFileSync(file, 'utf8').trim();
    } catch {
      // missing or unreadable: no token
    }
    if (fromFile !== '') return;
    throw new ValueError(`${listen.raw} is not a loopback address; set admin.token or admin.token_file (${file} holds no token)`, undefined, ['listen']);
  },
};

interface TlsValues {
  certfile?: string;
  keyfile?: string;
  ca_certs?: string;
  ciphers?: string;
  http2: boolean;
}

/** The arbiter reads a sticky app's first request line, which TLS would hide from it. */
export const stickyPlain: Rule<{ balance: string; certfile?: string }> = {
  description: '`balance: sticky` needs plain HTTP: no `certfile` (terminate TLS in a proxy in front).',
  check(values) {
    if (values.balance === 'sticky' && values.certfile !== undefined) throw new ValueError('"balance: sticky" needs plain HTTP: the arbiter reads the session id from the request line, which TLS hides; terminate TLS in a proxy (nginx) in front, or use "ip-hash"', undefined, ['balance']);
  },
};

/**
 * `certfile` and `keyfile` come together, are readable and make a pair, and `ciphers` is a
 * list OpenSSL knows: checked with the same createSecureContext the worker's server uses.
 * Runs at every load, so a reload of the config catches a broken renewal before workers do.
 */
export const tlsFiles: Rule<TlsValues> = {
  description: '`certfile` and `keyfile` are set together, readable, and a matching pair; `ca_certs`, `ciphers` and `http2` need them.',
  check(values) {
    const { certfile, keyfile } = values;
    if (certfile === undefined || keyfile === undefined) {
      if (certfile !== undefined || keyfile !== undefined) {
        throw new ValueError(`expected both "certfile" and "keyfile", got only "${certfile !== undefined ? 'certfile' : 'keyfile'}"`, undefined, [certfile !== undefined ? 'keyfile' : 'certfile'], 'key');
      }
      for (const key of ['ca_certs', 'ciphers', 'http2'] as const) {
        if (values[key] !== undefined && values[key] !== false) throw new ValueError(`"${key}" needs TLS: set "certfile" and "keyfile"`, undefined, [key], 'key');
      }
      return;
    }
    const cert = readPem(certfile, 'certfile');
    const key = readPem(keyfile, 'keyfile');
    const ca = values.ca_certs === undefined ? undefined : readPem(values.ca_certs, 'ca_certs');
    try {
      createSecureContext({ cert, key, ...(ca !== undefined && { ca }) });
    } catch (err) {
      throw new ValueError(`the certificate ${certfile} and key ${keyfile} do not make a usable pair: ${(err as Error).message}`, undefined, ['keyfile']);
    }
    if (values.ciphers !== undefined) {
      try {
        createSecureContext({ cert, key, ciphers: values.ciphers });
      } catch (err) {
        throw new ValueError(`expected an OpenSSL cipher list, got ${JSON.stringify(values.ciphers)}: ${(err as Error).message}`, undefined, ['ciphers']);
      }
    }
  },
};

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValueError(`cannot read ${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, [key]);
  }
}
