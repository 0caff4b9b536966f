/**
 * The other direction of the hostile-input properties: valid bodies are applied exactly, and the
 * caller gets back what Graph stored.
 */
import fc from 'fast-check';

import { acceptsApplication } from '../../src/catalog/operations';
import { MAX_BODY_BYTES } from '../../src/http/body';
import { type GraphVersion } from '../../src/schemas/entities';
import { effectiveVersion, propertiesOf, readOnlyExtras, validBody } from '../support/hostile';
import {
  check,
  forgetGraphCalls,
  hostileStack,
  operationNamed,
  PATCH_OPERATION_NAMES,
  pathOf,
  RUNS,
  SAFE_TOKEN,
  seededStatus,
  useHostileStack,
} from '../support/hostile-suite';
import { SEEDED_IDS } from '../support/stack';

// The install summary's update is taken only from a signed-in user: it is sent as the emulator's demo user.
useHostileStack({ usersSignIn: true });

describe('valid bodies', () => {
  // The other side of validation: what the contract allows must go through untouched, with
  // `id` and annotations dropped, even when padded with JSON whitespace right up to the limit.
  test('valid PATCH bodies are applied: Graph receives exactly the validated body, the caller gets it back', async () => {
    const caseArb = fc.constantFrom(...PATCH_OPERATION_NAMES).chain((name) => {
      const operation = operationNamed(name);
      return fc.constantFrom<GraphVersion | undefined>(undefined, ...operation.graphVersions).chain((version) => {
        const effective = effectiveVersion(operation, version);
        const names = propertiesOf(operation, effective).map(([name]) => name);
        return fc.record({
          operation: fc.constant(name),
          version: fc.constant(version),
          body: validBody(operation, effective),
          extras: readOnlyExtras(operation, names),
          padTo: fc.option(fc.integer({ min: 0, max: MAX_BODY_BYTES }), { nil: undefined, freq: 4 }),
        });
      });
    });
    await check(
      fc.asyncProperty(caseArb, async ({ operation: name, version, body, extras, padTo }) => {
        forgetGraphCalls();
        const operation = operationNamed(name);
        const ids: Record<string, string> = {
          configurationId: SEEDED_IDS.mobileAppConfiguration,
          mobileAppId: SEEDED_IDS.mobileApp,
          policyId: SEEDED_IDS.deviceCompliancePolicy,
          statusId: seededStatus(),
        };
        const text = JSON.stringify({ ...extras, ...body });
        const padding = padTo === undefined ? 0 : Math.max(0, padTo - Buffer.byteLength(text));
        const rawBody = text + ' '.repeat(padding);
        const caller = acceptsApplication(operation) ? {} : await hostileStack().asUser();
        const answer = await hostileStack().call('PATCH', pathOf(operation.route, ids, { graphVersion: version }), {
          rawBody,
          headers: { 'content-type': 'application/json', ...caller },
        });

        if (answer.status !== 200) throw new Error(`PATCH answered ${answer.status}: ${answer.text.slice(0, 500)}`);
        expect(answer.headers.get('client-request-id')).toMatch(SAFE_TOKEN);
        const sent = hostileStack().emulator.requests.map(({ method, version: graphVersion, body: graphBody }) => ({
          method,
          graphVersion,
          graphBody,
        }));
        // Graph answers 204, as Intune does: the facade reads the entity back, once, to answer with it.
        const graphVersion = effectiveVersion(operation, version);
        expect(sent).toEqual([
          { method: 'PATCH', graphVersion, graphBody: body },
          { method: 'GET', graphVersion, graphBody: undefined },
        ]);
        expect(answer.json).toMatchObject(body);
      }),
      // Every run is a Graph write; the facade's write limiter lets 200 through at once.
      Math.min(RUNS, 150),
    );
  });
});
