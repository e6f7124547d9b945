/** tsgictl's failures carry a catalog code; main.ts alone turns them into text and an exit status. */
import { TsgiError } from '../daemon/errors.js';

export function usageError(message: string): TsgiError {
  return new TsgiError('TSGI_ERR_CLI_USAGE', message);
}
