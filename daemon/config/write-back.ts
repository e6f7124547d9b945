/**
 * Changes made through the admin API, written back into the YAML file, so the file stays the one
 * truth: a config reload or a restart of tsgid gives the same running set (NGINX Unit persists
 * every API change; tsgi keeps the operator's file instead of a store of its own). The yaml
 * package's document API edits only the keys concerned: comments, order, quoting and `${VAR}`s
 * elsewhere stay as written. The write is atomic: a temp file beside the file, fsync, rename.
 */
import { closeSync, fchownSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Document, isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { TsgiError } from '../errors.js';

export type ConfigEdit =
  /** `input` is the API's body as sent: one YAML app entry */
  | { kind: 'add'; app: string; input: Record<string, unknown> }
  | { kind: 'remove'; app: string }
  /** `undefined` deletes the key (back to its default) */
  | { kind: 'set'; app: string; key: 'workers' | 'autostart'; value: number | boolean | undefined };

/**
 * The file's text with `edit` made. An app the file no longer has (the operator removed it and
 * has not reloaded yet) is left out: the file changed that app, and the next reload removes it.
 * Returns the text unchanged when there is nothing to write.
 *
 * The document API finds the nodes; the text is then spliced at their source ranges, so every
 * byte not edited stays as written (re-printing the whole document would respace comments and
 * flow lists). A flow-style `apps: {…}` is re-printed by the document API instead.
 */
export function editConfigText(text: string, file: string, edit: ConfigEdit): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw writeError(file, `it is not valid YAML now (${doc.errors[0]!.message.split('\n')[0]}); fix it, then retry`);
  const apps = doc.get('apps', true);
  if (edit.kind === 'add') {
    if (doc.hasIn(['apps', edit.app])) throw new TsgiError('TSGI_ERR_APP_EXISTS', `${file} already has an app named "${edit.app}", not loaded yet: run a config reload`);
    if (isBlockMap(apps) && apps.items.length > 0) return insertIn(text, apps, new Document({ [edit.app]: edit.input }).toString({ lineWidth: 0 }));
    if (!isMap(apps)) doc.set('apps', doc.createNode({}));
    doc.setIn(['apps', edit.app], doc.createNode(edit.input));
    return render(doc);
  }
  const pair = isMap(apps) ? apps.items.find((p) => isScalar(p.key) && p.key.value === edit.app) : undefined;
  const entry = pair?.value;
  if (pair === undefined || !isMap(entry)) return text;
  if (!isBlockMap(apps) || !isBlockMap(entry)) {
    if (edit.kind === 'remove') doc.deleteIn(['apps', edit.app]);
    else if (edit.value === undefined) entry.delete(edit.key);
    else entry.set(edit.key, edit.value);
    return render(doc);
  }
  if (edit.kind === 'remove') return cut(text, pair as Pair<Node, Node>);
  const own = entry.items.find((p) => isScalar(p.key) && p.key.value === edit.key) as Pair<Node, Node> | undefined;
  if (edit.value === undefined) return own === undefined ? text : cut(text, own);
  if (own !== undefined && isScalar(own.value) && own.value.range) return text.slice(0, own.value.range[0]) + String(edit.value) + text.slice(own.value.range[1]);
  return insertIn(text, entry, `${edit.key}: ${String(edit.value)}\n`);
}

function isBlockMap(node: unknown): node is YAMLMap<Node, Node> {
  return isMap(node) && !node.flow && node.range !== undefined && node.range !== null;
}

/** Remove a block map's pair: from the start of its key's line to the end of its value. */
function cut(text: string, pair: Pair<Node, Node>): string {
  const from = lineStart(text, pair.key.range![0]);
  return text.slice(0, from) + text.slice(lineEnd(text, (pair.value ?? pair.key).range![2]));
}

/** Append `entry` (lines at indent 0) as the last item of a block map, at its items' indent. */
function insertIn(text: string, map: YAMLMap<Node, Node>, entry: string): string {
  const first = map.items[0]!.key.range![0];
  const indent = ' '.repeat(first - lineStart(text, first));
  const last = map.items[map.items.length - 1]!;
  let at = lineEnd(text, (last.value ?? last.key).range![2]);
  let head = text.slice(0, at);
  if (!head.endsWith('\n')) head += '\n';
  at = Math.max(at, 0);
  const lines = entry.replace(/\n$/, '').split('\n').map((l) => (l === '' ? l : indent + l)).join('\n');
  return `${head}${lines}\n${text.slice(at)}`;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the newline that ends the line `offset` is on or ends (a node's end may be either). */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

function render(doc: Document): string {
  // lineWidth 0: a long string stays on one line, as the operator wrote it
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Read the file, make `edit`, write it back atomically; returns the text as it was, for an undo. */
export function writeConfigEdit(file: string, edit: ConfigEdit): string {
  const real = realTarget(file);
  let text: string;
  try {
    text = readFileSync(real, 'utf8');
  } catch (err) {
    throw writeError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  const next = editConfigText(text, file, edit);
  if (next !== text) writeAtomic(file, next);
  return text;
}

/**
 * Replace the file's content: temp file in the same folder (same mode and owner), fsync, rename
 * over the file, fsync the folder. Any failure (read-only file or folder, disk full) leaves the
 * file as it was and throws TSGI_ERR_CONFIG_WRITE.
 */
export function writeAtomic(file: string, text: string): void {
  const real = realTarget(file);
  let st;
  try {
    st = statSync(real);
    // a read-only file is the operator saying "not this file", even in a writable folder
    // (root passes access(W_OK) on any file: the mode bits say it for root too)
    if ((statSync(real).mode & 0o222) === 0) throw Object.assign(new Error('read-only'), { code: 'EACCES' });
    accessSync(real, constants.W_OK);
  } catch (err) {
    throw writeError(file, `it is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  const temp = join(dirname(real), `.${basename(real)}.tsgi-${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', st.mode & 0o7777);
    if (process.getuid?.() === 0) fchownSync(fd, st.uid, st.gid);
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, real);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw writeError(file, `cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  syncFolder(dirname(real));
}

/** A symlinked file (a Kubernetes ConfigMap's) is written where it points, keeping the link. */
function realTarget(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on a folder; the rename itself is atomic
  }
}

function writeError(file: string, why: string, cause?: unknown): TsgiError {
  return new TsgiError('TSGI_ERR_CONFIG_WRITE', `${file}: the change was refused: it must be written back into the config file, and ${why}`, { cause });
}
