/** JSON schemas shared by the routes; fastify validates every parameter and body against them. */

export const APP_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]*$';

export const appParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: APP_NAME_PATTERN, maxLength: 64 } },
  required: ['name'],
  additionalProperties: false,
} as const;

export const waitQuery = {
  type: 'object',
  properties: { wait: { type: 'string', enum: ['true', 'false', '1', '0'] } },
  additionalProperties: false,
} as const;

export const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export function scaleBody(maxWorkers: number) {
  return {
    type: 'object',
    properties: {
      workers: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: maxWorkers },
          { type: 'string', pattern: '^[+-][0-9]{1,4}$' },
        ],
      },
    },
    required: ['workers'],
    additionalProperties: false,
  } as const;
}
