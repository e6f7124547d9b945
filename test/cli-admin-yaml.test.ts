/**
 * tsgictl reads a config's `admin:` section without the yaml package when it can. Whenever the
 * quick reader answers, its answer must be the yaml package's; when unsure it must say so.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { readAdminSection, type AdminSection } from '../cli/admin-yaml.js';
import { FIXTURES, ROOT } from './helpers/daemon.js';

function viaYaml(text: string): AdminSection {
  const admin = (parse(text) as { admin?: Record<string, unknown> } | null)?.admin ?? {};
  return pick(admin);
}

function pick(a: AdminSection): AdminSection {
  const out: AdminSection = {};
  for (const k of ['listen', 'token', 'token_file'] as const) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

/** Shapes real configs use: the quick reader must take these on, and agree. */
const COMMON = [
  '',
  '# only a comment\n',
  'apps: {}\n',
  'admin:\n  listen: "unix:.tsgi/admin.sock"\n',
  'admin:\n  listen: unix:.tsgi/admin.sock\napps:\n  a:\n    app: ./a.ts\n    listen: ":8000"\n',
  "admin:\n  listen: '127.0.0.1:9900'\n  token: ${TSGI_TOKEN}\n",
  'admin:\n    # a comment\n    listen: "127.0.0.1:9900" # trailing\n    token_file: secrets/admin.token\n\n',
  'admin: { listen: "unix:admin.sock" }\napps:\n  x: { app: ./x.mjs, listen: "127.0.0.1:0" }\n',
  "admin: {listen: '[::1]:9900', token: abc}\n",
  'admin: {}\n',
  'admin:\n',
  'admin: ~\n',
  'admin:\n  listen:\n  token: x\n',
  '---\nadmin:\n  listen: "unix:a.sock"\n',
  'apps:\n  web:\n    app: ./web.mjs\n    env: { A: "admin: x" }\n    listen: ":0"\nadmin:\n  listen: "unix:late.sock"\n',
  'admin:\r\n  listen: "unix:crlf.sock"\r\n',
  'admin:\n  listen: "unix:esc\\"aped.sock"\n  token: "tab\\there"\n',
  "admin:\n  token: 'it''s'\n",
  'admin:\n  listen: "unix:a #not-a-comment.sock"\n',
  'admin:\n  listen: unix:a#b.sock\n',
  'pidfile: .tsgi/pid\nmax_workers: 8\nadmin:\n  listen: 127.0.0.1:9\n',
  'apps:\n  web:\n    app: |\n      not: a key\n    listen: ":0"\nadmin:\n  listen: "unix:after-block.sock"\n',
];

/** Shapes it may decline; if it answers, the answer must still be the yaml package's. */
const TRICKY = [
  'admin: &a\n  listen: "unix:anchor.sock"\n',
  'base: &b { listen: "unix:merged.sock" }\nadmin:\n  <<: *b\n',
  'admin: !!map\n  listen: "unix:tag.sock"\n',
  'admin:\n  listen: "unix:multi\n    line.sock"\n',
  'admin:\n  listen: plain\n    continued\n',
  'admin:\n  listen: >\n    folded\n',
  'admin:\n  token: 12345\n',
  'admin:\n  token: true\n',
  'admin:\n  token: 0x1F\n',
  'admin:\n  token: "\\x41"\n',
  'admin: { listen: "unix:a.sock",\n  token: x }\n',
  '{ admin: { listen: "unix:flow-doc.sock" } }\n',
  '"admin":\n  listen: "unix:quoted-key.sock"\n',
  'admin:\n  "listen": "unix:quoted-child.sock"\n',
  'admin:\n  listen: [a, b]\n',
  'admin:\n  ? listen\n  : "unix:complex.sock"\n',
  'admin:\n\tlisten: "tab"\n',
  '%YAML 1.2\n---\nadmin:\n  listen: "unix:directive.sock"\n',
  'apps: { a: 1,\n  b: 2 }\nadmin:\n  listen: "unix:x.sock"\n',
  'x: "unclosed\n  admin: still in x"\nadmin:\n  listen: "unix:y.sock"\n',
  'admin:\n  listen: "unix:x.sock"\n  other:\n    listen: "nested"\n',
  'admin:\n  listen: "unix:x.sock"\n   token: odd-indent\n',
];

describe('the quick admin-section reader', () => {
  for (const text of COMMON) {
    it(`reads ${JSON.stringify(text).slice(0, 70)}`, () => {
      const quick = readAdminSection(text);
      assert.notEqual(quick, undefined, 'declined a common shape');
      assert.deepEqual(pick(quick!), viaYaml(text));
    });
  }

  for (const text of TRICKY) {
    it(`never disagrees on ${JSON.stringify(text).slice(0, 70)}`, () => {
      const quick = readAdminSection(text);
      let expected: AdminSection;
      try {
        expected = viaYaml(text);
      } catch {
        return; // not valid YAML: tsgid would refuse it too
      }
      if (quick !== undefined) assert.deepEqual(pick(quick), expected);
    });
  }

  it('agrees with the yaml package on the repository configs', () => {
    for (const file of [join(ROOT, 'config.example.yaml'), join(FIXTURES, 'config/full/tsgi.yaml')]) {
      const text = readFileSync(file, 'utf8');
      const quick = readAdminSection(text);
      if (quick !== undefined) assert.deepEqual(pick(quick), viaYaml(text), file);
    }
  });
});
