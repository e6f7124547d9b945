/**
 * JSON schema (draft-07) derived from a section of declarations, for the admin API to validate
 * request bodies before parsing them. Parsing (validate.ts) stays the authority: the schema
 * cannot know, for one, that a module file exists.
 */
import type { Section, Setting } from './declare.js';
import type { JsonSchema } from './kinds.js';

export function sectionSchema(sec: Section): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(sec.fields)) {
    properties[key] = field.is === 'section' ? sectionSchema(field) : settingSchema(field);
    if (field.is === 'setting' && field.presence === 'required') required.push(key);
  }
  const ruleSchemas = sec.rules.flatMap((r) => (r.schema ? [r.schema] : []));
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required.length > 0 && { required }),
    ...(ruleSchemas.length > 0 && { allOf: ruleSchemas }),
  };
}

function settingSchema(s: Setting): JsonSchema {
  return {
    ...s.kind.schema,
    description: s.description,
    ...(s.default !== undefined && { default: s.default }),
    ...(s.example !== undefined && { examples: [s.example] }),
  };
}
