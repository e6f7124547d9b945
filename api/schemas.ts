/** JSON schemas shared by the routes; fastify validates every parameter and body against them. */
import { APP_NAME, appJsonSchema } from '../daemon/config/index.js';

type Schema = Record<string, unknown>;

export const appName = { type: 'string', pattern: APP_NAME.pattern.source, maxLength: APP_NAME.maxLength, description: 'The app name.' } as const;

export const appParams = {
  type: 'object',
  properties: { name: appName },
  required: ['name'],
  additionalProperties: false,
} as const;

export const workerParams = {
  type: 'object',
  properties: { name: appName, id: { type: 'string', pattern: '^[1-9][0-9]{0,8}$', description: "The worker's id (`tsgictl status` lists them; ids are never reused)." } },
  required: ['name', 'id'],
  additionalProperties: false,
} as const;

export const sinceQuery = {
  type: 'object',
  properties: { since: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'Epoch ms: only the points after it (what a page that has the rest asks for each second).' } },
  additionalProperties: false,
} as const;

export const waitQuery = {
  type: 'object',
  properties: {
    wait: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'false: answer 202 at once instead of when the action has finished.' },
  },
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
        description: 'A count, or "+N" / "-N" relative to the current target.',
        anyOf: [
          { type: 'integer', minimum: 1, maximum: maxWorkers },
          { type: 'string', pattern: '^[+-][0-9]{1,4}$', title: '"+N" or "-N" (relative to the current target)' },
        ],
      },
    },
    required: ['workers'],
    additionalProperties: false,
  } as const;
}

/** One app entry as in the YAML file (the config module's schema), plus its name. */
export function addAppBody(maxWorkers: number): Schema {
  const entry = appJsonSchema as Schema & { properties: Record<string, Schema>; required?: string[] };
  const properties: Record<string, Schema> = { name: appName, ...entry.properties };
  if (properties.workers !== undefined) properties.workers = { ...properties.workers, maximum: maxWorkers };
  return { ...entry, properties, required: ['name', ...(entry.required ?? [])] };
}
