/** tsgictl's failures carry a catalog code; main.ts alone turns them into text and an exit status. */
import { TsgiError, type ErrorCode } from '../daemon/errors.js';

export function usageError(message: string): TsgiError {
  return new TsgiError('TSGI_ERR_CLI_USAGE', message);
}

/**
 * What to do about a 401: said the same for a call and for a stream (`top`, `logs -f`). Takes
 * any target with its token (find-daemon's Target), so this module, which find-daemon imports,
 * imports nothing back from it.
 */
export function refusedHint(code: ErrorCode, target: { token?: string }, at: string): string {
  if (code !== 'TSGI_ERR_API_UNAUTHORIZED') return '';
  return ` (tsgid at ${at} refused ${target.token === undefined ? 'a call without a token' : 'the token'}; set --token or TSGI_TOKEN, or admin.token_file in the config)`;
}
