/**
 * The admin section's defaults as written, for tsgictl, which finds the daemon from a config
 * file without loading (and so without validating) the apps in it.
 */
import type { Setting } from './declare.js';
import { topSection } from './settings.js';

const admin = topSection.fields.admin.fields;

export const ADMIN_DEFAULTS = {
  listen: stringDefault(admin.listen),
  token_file: stringDefault(admin.token_file),
} as const;

function stringDefault(s: Setting): string {
  if (typeof s.default !== 'string') throw new Error('expected a string default');
  return s.default;
}
