import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema of a valibot schema the facade validates with. The output type is described:
 * a query value read from digits is described as the integer it becomes.
 */
export function jsonSchemaOf(schema: v.GenericSchema): JsonSchema {
  const { $schema: _dialect, ...converted } = toJsonSchema(schema, { target: 'draft-2020-12', typeMode: 'output' });
  return converted;
}

/** "pendingCount" → "Pending count", "configurationId" → "Configuration ID": the label callers see for a name. */
export function labelOf(name: string): string {
  const words = name
    .replace(/Id$/, ' ID')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((word, index) => (word === 'ID' ? word : index === 0 ? word : word.toLowerCase()));
  const label = words.join(' ');
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** An object schema whose every property carries its label as `title` (the connector's `x-ms-summary`). */
export function withLabels(schema: JsonSchema): JsonSchema {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [name, { title: labelOf(name), ...property }]),
    ),
  };
}
