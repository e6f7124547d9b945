/**
 * Which admin action writes what into the config file, and what the running app's config becomes,
 * so that the next config reload finds file and daemon equal and leaves the app alone. Called by
 * the arbiter before it applies the command: a write that fails refuses the command.
 */
import type { AppConfig } from './settings.js';
import { writeConfigEdit, type ConfigEdit } from './write-back.js';

/** The arbiter's commands, as far as they concern the file (structural, so this module does not import the arbiter). */
export type PersistableCommand =
  | { kind: 'add'; config: AppConfig; input?: Record<string, unknown> }
  | { kind: 'remove' | 'start' | 'stop' | 'restart' | 'reload'; app: string }
  | { kind: 'scale'; app: string; workers: number }
  | { kind: string };

export interface Persisted {
  /** the running app's config once the command applies (scale, stop, start); undefined: as it is */
  config?: AppConfig;
  /** takes the edit back out of the file (an add whose sockets could not be opened) */
  undo?: () => void;
}

/** The edit `cmd` makes to the file, given the running app's config (undefined: no such app runs). */
export function editFor(cmd: PersistableCommand, current: AppConfig | undefined): { edit?: ConfigEdit; config?: AppConfig } {
  if (cmd.kind === 'add' && 'config' in cmd) {
    // an app of that name already runs: the add fails on its own, and the file is not touched
    if (current !== undefined || cmd.input === undefined) return {};
    return { edit: { kind: 'add', app: cmd.config.name, input: cmd.input } };
  }
  if (current === undefined) return {};
  switch (cmd.kind) {
    case 'remove':
      return { edit: { kind: 'remove', app: current.name } };
    case 'scale':
      if (!('workers' in cmd) || cmd.workers === current.workers) return {};
      return { edit: { kind: 'set', app: current.name, key: 'workers', value: cmd.workers }, config: { ...current, workers: cmd.workers } };
    case 'stop':
      if (!current.autostart) return {};
      return { edit: { kind: 'set', app: current.name, key: 'autostart', value: false }, config: { ...current, autostart: false } };
    case 'start':
    case 'restart':
    case 'reload':
      // each of these leaves the app running: a stopped app's `autostart: false` goes
      if (current.autostart) return {};
      return { edit: { kind: 'set', app: current.name, key: 'autostart', value: undefined }, config: { ...current, autostart: true } };
    default:
      return {};
  }
}

/** Write `cmd`'s edit into `file` (throws TSGI_ERR_CONFIG_WRITE, nothing written, when it cannot). */
export function persistCommand(file: string, cmd: PersistableCommand, current: AppConfig | undefined): Persisted {
  const { edit, config } = editFor(cmd, current);
  if (edit === undefined) return {};
  writeConfigEdit(file, edit);
  const undo = edit.kind === 'add' ? () => void writeConfigEdit(file, { kind: 'remove', app: edit.app }) : undefined;
  return { ...(config !== undefined && { config }), ...(undo !== undefined && { undo }) };
}
