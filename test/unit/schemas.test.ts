import { toJsonSchema } from '@valibot/to-json-schema';

import { CATALOG } from '../../src/catalog/operations';
import { isJsonContentType } from '../../src/http/body';
import { pointerTo } from '../../src/operations/validate';
import { writeSchema } from '../../src/schemas/entities';

describe('entity schemas stay convertible to JSON Schema (for the API descriptions)', () => {
  test.each(
    CATALOG.filter((operation) => operation.kind === 'update' || operation.kind === 'create').map(
      (operation) => [operation.name, operation] as const,
    ),
  )('%s', (_name, operation) => {
    for (const version of operation.graphVersions) {
      const schema = toJsonSchema(writeSchema(operation.entity, version, operation.kind === 'create' ? 'create' : 'update'));
      expect(schema.type).toBe('object');
      expect(Object.keys(schema.properties ?? {})).toEqual(Object.keys(operation.entity.properties[version] ?? {}));
      expect([...(schema.required ?? [])].sort()).toEqual(
        operation.kind === 'create' ? [...operation.entity.requiredOnCreate].sort() : [],
      );
    }
  });

  test('counts carry their Int32 range and timestamps their format', () => {
    const schema = toJsonSchema(writeSchema(CATALOG[1]!.entity, 'beta', 'update')) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.properties.conflictCount).toMatchObject({ type: 'integer', minimum: 0, maximum: 2147483647 });
    expect(schema.properties.lastUpdateDateTime).toMatchObject({ type: 'string', format: 'date-time' });
  });
});

describe('small rules', () => {
  test.each([
    ['application/json', true],
    ['Application/JSON; charset=UTF-8', true],
    ['application/json; charset="utf-8"', true],
    ['application/merge-patch+json', true],
    ['application/json; charset=iso-8859-1', false],
    ['text/json', false],
    ['application/jsonp', false],
    [null, false],
  ])('Content-Type %s is JSON: %s', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });

  test('pointers escape ~ and / (RFC 6901)', () => {
    expect(pointerTo(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
    expect(pointerTo([])).toBe('');
  });
});
