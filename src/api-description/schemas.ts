import type * as v from 'valibot';

import { SEED_EXAMPLES } from '../catalog/examples';
import type { Operation } from '../catalog/operations';
import type { Resource } from '../catalog/resources';
import { type GraphVersion, writeSchema } from '../schemas/entities';
import { type JsonSchema, jsonSchemaOf, labelOf } from './json-schema';
import type { BodyDescription } from './model';

/** The schemas of the API's bodies and answers, from the entities' valibot schemas. */

/** The name of a collection's page schema. */
export const pageSchemaName = (resource: Resource) => `${resource.pluralNoun ?? resource.noun}Page`;

/** An object schema; `{ $ref: name }` inside names another schema of the description, which each renderer resolves. */
function objectSchema(
  properties: Readonly<Record<string, JsonSchema>>,
  required: readonly string[],
  extra: JsonSchema = {},
): JsonSchema {
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...extra,
  };
}

/** The properties of an entity across the versions given, each labelled; version-only ones say so. */
function propertiesAcross(
  resource: Resource,
  versions: readonly GraphVersion[],
  schemaOf: (version: GraphVersion) => v.ObjectSchema<v.ObjectEntries, undefined>,
): { properties: Record<string, JsonSchema>; requiredEverywhere: string[] } {
  const properties: Record<string, JsonSchema> = {};
  const inVersions = new Map<string, GraphVersion[]>();
  const required = new Map<string, number>();
  for (const version of versions) {
    const converted = jsonSchemaOf(schemaOf(version));
    for (const [name, schema] of Object.entries(converted.properties as Record<string, JsonSchema>)) {
      properties[name] = schema;
      inVersions.set(name, [...(inVersions.get(name) ?? []), version]);
    }
    for (const name of (converted.required as string[] | undefined) ?? []) required.set(name, (required.get(name) ?? 0) + 1);
  }
  for (const [name, schema] of Object.entries(properties)) {
    const only = inVersions.get(name) ?? [];
    const note = only.length < resource.graphVersions.length ? { description: `Graph ${only.join(', ')} only.` } : {};
    properties[name] = { title: labelOf(name), ...schema, ...note };
  }
  const requiredEverywhere = [...required].filter(([, count]) => count === versions.length).map(([name]) => name);
  return { properties, requiredEverywhere };
}

/** An entity as the facade answers it: Graph's properties and id, OData annotations removed. */
export function entitySchema(resource: Resource): JsonSchema {
  const { properties } = propertiesAcross(resource, resource.graphVersions, (version) =>
    writeSchema(resource.entity, version, 'update'),
  );
  // Every property is optional on update, so the converted schema marks none required; nullability is Graph's.
  const read: Record<string, JsonSchema> = { id: { title: 'ID', type: 'string' } };
  for (const [name, schema] of Object.entries(properties)) read[name] = schema;
  return objectSchema(read, ['id'], { description: `${resource.entity.name}, as Graph returns it.` });
}

export function pageSchema(resource: Resource): JsonSchema {
  return objectSchema(
    {
      value: { title: 'Items', type: 'array', items: { $ref: resource.noun } },
      nextLink: {
        title: 'Next page link',
        type: 'string',
        format: 'uri',
        description: 'The facade URL of the next page, absent on the last page. Call it with the same function key.',
      },
    },
    ['value'],
  );
}

export function describeBody(operation: Operation, schemas: Record<string, JsonSchema>): BodyDescription {
  const mode = operation.kind === 'create' ? 'create' : 'update';
  const schemaNameByVersion: Partial<Record<GraphVersion, string>> = {};
  const annotations = {
    '@odata.type': {
      title: 'OData type',
      type: 'string',
      enum: [operation.entity.odataType, operation.entity.odataType.slice(1)],
      description: 'May be left out; when sent it must name this entity.',
    },
  };
  for (const version of operation.graphVersions) {
    const { properties, requiredEverywhere } = propertiesAcross(operation.resource, [version], (only) =>
      writeSchema(operation.entity, only, mode),
    );
    const name = `${operation.name}Body.${version}`;
    schemas[name] = objectSchema({ ...annotations, ...properties }, requiredEverywhere, {
      title: `Graph ${version}`,
      additionalProperties: false,
      ...(mode === 'update' ? { minProperties: 1 } : {}),
    });
    schemaNameByVersion[version] = name;
  }
  const merged = propertiesAcross(operation.resource, operation.graphVersions, (version) =>
    writeSchema(operation.entity, version, mode),
  );
  const mergedSchemaName = `${operation.name}Body`;
  schemas[mergedSchemaName] = objectSchema(merged.properties, merged.requiredEverywhere);
  return {
    description: `The properties to ${operation.kind === 'create' ? 'create with' : 'change'}.`,
    schemaNameByVersion,
    mergedSchemaName,
    examples: SEED_EXAMPLES.filter((example) => example.operation === operation.name),
  };
}
