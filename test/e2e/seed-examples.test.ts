import { SEED_EXAMPLES } from '../../src/catalog/examples';
import { acceptsApplication, operationNamed } from '../../src/catalog/operations';
import { USERS_SIGN_IN, useStack } from '../support/stack';

// Callers may sign in: an example Graph takes only from users is sent as the emulator's demo user,
// and Graph must have seen that user's delegated token; every other one goes as the managed identity.
const running = useStack(USERS_SIGN_IN);

const withoutAnnotations = (body: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(body).filter(([name]) => !name.startsWith('@odata.')));

describe('every request example of the Graph pages the facade was specified from', () => {
  test.each(SEED_EXAMPLES.map((example) => [example.title, example] as const))(
    '%s succeeds end to end and reads back',
    async (_title, example) => {
      const query = `?graphVersion=${example.graphVersion}`;
      const asUser = !acceptsApplication(operationNamed(example.operation));
      const caller = asUser ? await running().asUser() : {};
      const written = await running().call(example.method, example.path + query, { body: example.body, headers: caller });

      expect(written.status).toBe(example.method === 'POST' ? 201 : 200);
      expect(written.json).toMatchObject(withoutAnnotations(example.body));
      expect(written.headers.get('x-graph-request-id')).toBeTruthy();

      // What Graph received: the example's properties, at the version asked for.
      const received = running().emulator.requests.filter((request) => request.method === example.method);
      expect(received).toHaveLength(1);
      expect(received[0]?.version).toBe(example.graphVersion);
      expect(received[0]?.body).toEqual(withoutAnnotations(example.body));
      expect(received[0]?.claims?.idtyp).toBe(asUser ? 'user' : 'app');

      const readPath =
        example.method === 'POST'
          ? new URL(written.headers.get('location') as string).pathname.replace(/^\/api\//, '')
          : example.path;
      const read = await running().call('GET', readPath + query, { headers: caller });
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject(withoutAnnotations(example.body));
    },
  );
});
