/**
 * Hostile bodies on every operation that takes one: malformed, truncated, oddly encoded, invalid
 * members, nothing to change, wrong Content-Type, sizes around the limit, timestamps Graph cannot
 * take. Each is refused with problem+json and never reaches Graph.
 */
import fc from 'fast-check';

import { MAX_BODY_BYTES, MAX_BODY_DEPTH } from '../../src/http/body';
import {
  invalidValueText,
  objectText,
  pointerOf,
  propertiesOf,
  PROTOTYPE_NAMES,
  readOnlyExtras,
  unknownName,
  validBody,
  validTimestamp,
} from '../support/hostile';
import {
  bodyTarget,
  bodyTargetWithValidBody,
  check,
  expectNoGraphCall,
  expectProblem,
  forgetGraphCalls,
  hostileStack,
  operationNamed,
  parametersNamed,
  pointersNamed,
  sortedUnique,
  targetMethod,
  targetPath,
  targetVersion,
  useHostileStack,
} from '../support/hostile-suite';
import { SEEDED_IDS } from '../support/stack';

useHostileStack();

describe('hostile bodies never reach Graph', () => {
  // Bodies that are not a UTF-8 JSON object must be refused before anything is read from them.
  test('malformed, truncated, non-object and oddly encoded bodies: 400', async () => {
    const objectJson = fc
      .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
      .map((object) => JSON.stringify(object));
    const asciiJson = (value: unknown) =>
      JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const bodyArb = bodyTargetWithValidBody.chain((target) => {
      const valid = asciiJson(target.body);
      const notJsonText = fc.oneof(
        // A proper prefix of an object's text never closes the object.
        fc
          .tuple(objectJson, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
          .map(([text, cut]) => text.slice(0, Math.floor(cut * text.length))),
        fc.constant(valid.slice(0, -1)),
        fc.constantFrom(
          "{'pendingCount':1}",
          '{pendingCount:1}',
          '{"pendingCount":1,}',
          '{"pendingCount":NaN}',
          '{"pendingCount":Infinity}',
          '{"pendingCount":undefined}',
          '{"pendingCount":01}',
          '{"pendingCount":.5}',
          '{"pendingCount":+1}',
          '{"pendingCount":0x10}',
          '{"userDisplayName":"a\u0001b"}',
          '{"userDisplayName":"\\u12"}',
          '{"userDisplayName":"\\x41"}',
          '// comment\n{}',
          '{}/* comment */',
          '{"a":1}}',
          '{"a" 1}',
          '{,}',
          '   ',
          '\t\r\n',
        ),
        // Valid JSON followed, or preceded, by something that is not whitespace.
        fc
          .tuple(fc.constantFrom('x', '}', ']', ',', '0', '"', '{}'), fc.boolean())
          .map(([garbage, after]) => (after ? `${valid}${garbage}` : `${garbage}${valid}`)),
        // Deeply nested arrays are JSON, but not an object.
        fc.integer({ min: 1, max: 20000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value))
          .map((value) => JSON.stringify(value)),
      );
      const bytes = fc.oneof(
        notJsonText.map((text) => ({ form: 'utf-8', text })),
        notJsonText.map((text) => ({ form: 'utf-8 with BOM', text })),
        fc.constantFrom('utf-16le', 'utf-16le with BOM', 'utf-16be with BOM').map((form) => ({ form, text: valid })),
        // Bytes that are never UTF-8, put between two ASCII characters of a valid body.
        fc
          .tuple(
            fc.nat({ max: valid.length }),
            fc.constantFrom(
              [0xff],
              [0xfe],
              [0x80],
              [0xc0, 0x80],
              [0xe2, 0x82],
              [0xed, 0xa0, 0x80],
              [0xf5, 0x80, 0x80, 0x80],
              [0xc3],
            ),
          )
          .map(([at, invalid]) => ({ form: 'invalid utf-8', text: valid, at, invalid })),
      );
      return fc.record({
        target: fc.constant(target),
        bytes,
        contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/merge-patch+json'),
      });
    });

    await check(
      fc.asyncProperty(bodyArb, async ({ target, bytes, contentType }) => {
        forgetGraphCalls();
        const encoded = encodeBody(bytes);
        const answer = await hostileStack().call(targetMethod(target), targetPath(target), {
          rawBody: encoded,
          headers: { 'content-type': contentType },
        });
        expectProblem(answer, targetMethod(target), 400);
        expectNoGraphCall();
      }),
    );
  });

  // Objects with a wrong member: each wrong member is named by its pointer, and nothing else is.
  // This covers wrong types, counts past Int32 or negative or fractional, numbers JSON.parse
  // reads as Infinity, deep nesting, `__proto__` / `constructor` keys and unknown names.
  test('objects with invalid members: 422 naming every one of them', async () => {
    type Defect =
      | { kind: 'value'; name: string; text: string }
      | { kind: 'unknown'; name: string; text: string }
      | { kind: 'odata-type'; text: string }
      | { kind: 'missing'; name: string }
      | { kind: 'null'; name: string };

    const caseArb = bodyTarget.chain((target) => {
      const operation = operationNamed(target.operation);
      const version = targetVersion(target);
      const properties = propertiesOf(operation, version);
      const anyJson = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
        // Deep, but within the nesting a body may have (deeper is refused whole: see body-limits.test.ts).
        fc.integer({ min: 1, max: MAX_BODY_DEPTH - 2 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
      );
      const defects: fc.Arbitrary<Defect>[] = [
        fc
          .constantFrom(...properties)
          .chain(([name, kind]) => invalidValueText(kind).map((text): Defect => ({ kind: 'value', name, text }))),
        fc.tuple(unknownName(operation, version), anyJson).map(([name, text]): Defect => ({ kind: 'unknown', name, text })),
        fc.constantFrom(...PROTOTYPE_NAMES).chain((name) => anyJson.map((text): Defect => ({ kind: 'unknown', name, text }))),
        fc
          .jsonValue({ maxDepth: 1 })
          .filter((value) => value !== operation.entity.odataType && value !== operation.entity.odataType.slice(1))
          .map((value): Defect => ({ kind: 'odata-type', text: JSON.stringify(value) })),
      ];
      if (operation.kind === 'create') {
        const required = operation.entity.requiredOnCreate;
        defects.push(fc.constantFrom(...required).map((name): Defect => ({ kind: 'missing', name })));
        defects.push(fc.constantFrom(...required).map((name): Defect => ({ kind: 'null', name })));
      }
      const base =
        operation.kind === 'create' ? validBody(operation, version) : fc.oneof(fc.constant({}), validBody(operation, version));
      return fc.record({
        target: fc.constant(target),
        base,
        defects: fc.array(fc.oneof(...defects), { minLength: 1, maxLength: 4 }),
      });
    });

    await check(
      fc.asyncProperty(caseArb, async ({ target, base, defects }) => {
        forgetGraphCalls();
        const members = new Map(Object.entries(base).map(([name, value]) => [name, JSON.stringify(value)]));
        const expected: string[] = [];
        for (const defect of defects) {
          if (defect.kind === 'odata-type') {
            members.set('@odata.type', defect.text);
            expected.push(pointerOf('@odata.type'));
          } else {
            if (defect.kind === 'missing') members.delete(defect.name);
            else members.set(defect.name, defect.kind === 'null' ? 'null' : defect.text);
            expected.push(pointerOf(defect.name));
          }
        }
        const rawBody = objectText([...members]);
        const answer = await hostileStack().call(targetMethod(target), targetPath(target), {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        expectProblem(answer, targetMethod(target), 422);
        expect(sortedUnique(pointersNamed(answer))).toEqual(sortedUnique(expected));
        expect(parametersNamed(answer)).toEqual([]);
        expectNoGraphCall();
      }),
    );
  });

  // A PATCH that changes nothing (only `id` and annotations, or `{}`) must not become an empty Graph PATCH.
  test('PATCH bodies with nothing to change: 422 at the root pointer', async () => {
    const caseArb = bodyTarget
      .filter((target) => operationNamed(target.operation).kind === 'update')
      .chain((target) => {
        const operation = operationNamed(target.operation);
        const names = propertiesOf(operation, targetVersion(target)).map(([name]) => name);
        return fc.record({ target: fc.constant(target), extras: readOnlyExtras(operation, names) });
      });
    await check(
      fc.asyncProperty(caseArb, async ({ target, extras }) => {
        forgetGraphCalls();
        const answer = await hostileStack().call(targetMethod(target), targetPath(target), { body: extras });
        expectProblem(answer, targetMethod(target), 422);
        expect(pointersNamed(answer)).toEqual(['']);
        expectNoGraphCall();
      }),
      50,
    );
  });

  // A body in another media type or charset must not be guessed at: 415 even when the bytes are a valid body.
  test('a valid body under a wrong or missing Content-Type: 415', async () => {
    const charset = fc
      .tuple(
        fc.constantFrom(
          'utf-16',
          'utf-16le',
          'utf-16be',
          'iso-8859-1',
          'latin1',
          'us-ascii',
          'windows-1252',
          'utf-32',
          'utf-7',
          'shift_jis',
          'gb2312',
          '',
        ),
        fc.boolean(),
        fc.boolean(),
      )
      .map(([name, upper, quoted]) => {
        const cased = upper ? name.toUpperCase() : name;
        return quoted ? `"${cased}"` : cased;
      });
    const contentType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/json',
        'text/html',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/jsonp',
        'application/x-json',
        'application/json5',
        'application/javascript',
        'application/ld+xml',
        'application/problem+xml',
        'application/json+x',
        'application/ json',
        '*/*',
        'application/*',
        'json',
        'application',
        '',
      ),
      fc
        .tuple(fc.constantFrom('text', 'image', 'audio', 'application', 'x'), fc.stringMatching(/^[a-z0-9.-]{1,12}$/))
        .filter(([type, subtype]) => !(type === 'application' && subtype === 'json'))
        .map(([type, subtype]) => `${type}/${subtype}`),
      fc
        .tuple(fc.constantFrom('application/json', 'Application/JSON', 'application/merge-patch+json'), charset)
        .map(([type, set]) => `${type}; charset=${set}`),
    );
    const caseArb = fc.record({ request: bodyTargetWithValidBody, contentType: fc.option(contentType, { nil: undefined }) });

    await check(
      fc.asyncProperty(caseArb, async ({ request, contentType: type }) => {
        forgetGraphCalls();
        const bytes = new TextEncoder().encode(JSON.stringify(request.body));
        // Without a content-type header, fetch sends bytes as they are, with no Content-Type at all.
        const options = type === undefined ? { rawBody: bytes } : { rawBody: bytes, headers: { 'content-type': type } };
        const answer = await hostileStack().call(targetMethod(request), targetPath(request), options);
        expectProblem(answer, targetMethod(request), 415);
        expectNoGraphCall();
      }),
    );
  });

  // The limit protects the function from reading and parsing anything large: over it is 413
  // whatever the bytes are; at or under it the body is read (here: refused for its padding).
  test(`bodies around the ${MAX_BODY_BYTES}-byte limit: 413 exactly when over it`, async () => {
    const caseArb = fc.record({
      target: bodyTarget,
      size: fc.oneof(
        fc.integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES + 64 }),
        fc.integer({ min: MAX_BODY_BYTES + 1, max: 4 * MAX_BODY_BYTES }),
      ),
      filler: fc.constantFrom('unknown property', 'whitespace', 'garbage', 'invalid utf-8'),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, size, filler }) => {
        forgetGraphCalls();
        const rawBody = bodyOfSize(size, filler);
        expect(rawBody.byteLength).toBe(size);
        const answer = await hostileStack().call(targetMethod(target), targetPath(target), {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        if (size > MAX_BODY_BYTES) expectProblem(answer, targetMethod(target), 413);
        else expectProblem(answer, targetMethod(target), filler === 'unknown property' || filler === 'whitespace' ? 422 : 400);
        expectNoGraphCall();
      }),
      60,
    );
  });

  // Graph's Edm.DateTimeOffset (OData ABNF) needs `T`, seconds with an `hh:mm` offset or `Z`,
  // and a real calendar date. valibot's isoTimestamp also takes a space for `T`, `+hhmm`, `+hh`,
  // a space before the offset, and days like 02-30; those reach Graph, which refuses them (or,
  // for impossible dates, may store something else). The facade refuses them first.
  test('timestamps Graph cannot take are refused before Graph: 422', async () => {
    const parts = fc.record({
      date: validTimestamp.map((stamp) => stamp.slice(0, 10)),
      time: validTimestamp.map((stamp) => stamp.slice(11, 19)),
      hours: fc.integer({ min: 0, max: 14 }).map((hour) => String(hour).padStart(2, '0')),
      sign: fc.constantFrom('+', '-'),
    });
    const timestampArb = fc.oneof(
      parts.map(({ date, time }) => `${date} ${time}Z`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time}${sign}${hours}00`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time}${sign}${hours}`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time} ${sign}${hours}:00`),
      fc
        .tuple(
          fc.integer({ min: 1970, max: 2099 }),
          fc.constantFrom(['02', 30], ['02', 31], ['04', 31], ['06', 31], ['09', 31], ['11', 31]),
        )
        .map(([year, [month, day]]) => `${year}-${month}-${day}T00:00:00Z`),
    );
    await check(
      fc.asyncProperty(timestampArb, async (lastUpdateDateTime) => {
        forgetGraphCalls();
        const path = `device-compliance-policies/${SEEDED_IDS.deviceCompliancePolicy}/user-status-overview`;
        const answer = await hostileStack().call('PATCH', path, { body: { lastUpdateDateTime } });
        expectProblem(answer, 'PATCH', 422);
        expectNoGraphCall();
      }),
      30,
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** The bytes of an oddly encoded body (see the 400 property). */
function encodeBody(bytes: { form: string; text: string; at?: number; invalid?: readonly number[] }): Uint8Array {
  switch (bytes.form) {
    case 'utf-8':
      return Buffer.from(bytes.text, 'utf8');
    case 'utf-8 with BOM':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(bytes.text, 'utf8')]);
    case 'utf-16le':
      return Buffer.from(bytes.text, 'utf16le');
    case 'utf-16le with BOM':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bytes.text, 'utf16le')]);
    case 'utf-16be with BOM':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(bytes.text, 'utf16le').swap16()]);
    case 'invalid utf-8': {
      const ascii = Buffer.from(bytes.text, 'latin1');
      return Buffer.concat([ascii.subarray(0, bytes.at), Buffer.from(bytes.invalid ?? []), ascii.subarray(bytes.at)]);
    }
    default:
      throw new Error(`unknown form ${bytes.form}`);
  }
}

/** A body of exactly `size` bytes: a JSON object with an unknown padding property, a JSON object padded with whitespace, garbage, or invalid UTF-8. */
function bodyOfSize(size: number, filler: string): Uint8Array {
  switch (filler) {
    case 'unknown property': {
      const shell = '{"padding":""}';
      return Buffer.from(shell.slice(0, -2) + 'x'.repeat(size - shell.length) + shell.slice(-2));
    }
    case 'whitespace': {
      // Whitespace alone changes nothing: an update of `{}` is refused (422), creates lack their required members.
      return Buffer.from('{}' + ' '.repeat(size - 2));
    }
    case 'garbage':
      return Buffer.from('{'.repeat(size));
    case 'invalid utf-8':
      return Buffer.alloc(size, 0xff);
    default:
      throw new Error(`unknown filler ${filler}`);
  }
}
