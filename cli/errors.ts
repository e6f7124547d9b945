/** tsgictl's failures carry a catalog code; main.ts alone turns them into text and an exit status. */
import { TsgiError, type ErrorCode } from '../daemon/errors.js';

export function usageError(message: string): TsgiError {
  return new TsgiError('TSGI_ERR_CLI_USAGE', message);
}

/** An error body from the API, rebuilt as the same coded error the daemon raised. */
export function fromApi(code: ErrorCode, message: string): TsgiError {
  return new TsgiError(code, message);
}
