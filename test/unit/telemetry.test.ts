import { InvocationContext } from '@azure/functions';

import { InvocationHooks } from '../../dev/functions-runtime';
import { invocationTraceContext } from '../../dev/local-host/trace-context';
import { storageResourceOf } from '../../src/storage/traced-calls';
import { dependencyFailed } from '../../src/telemetry/dependencies';
import { isKept } from '../../src/telemetry/sampling';

describe('the trace context the local host hands an invocation, as the Functions host does', () => {
  test('a valid traceparent is continued: same trace, same flags, the host’s own span', () => {
    const context = invocationTraceContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', 'vendor=1');
    expect(context.traceParent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(context.traceParent).not.toContain('00f067aa0ba902b7');
    expect(context.traceState).toBe('vendor=1');
  });

  test.each([
    undefined,
    '',
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  ])('anything else (%j) starts a new sampled trace', (header) => {
    const context = invocationTraceContext(header);
    expect(context.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(context.traceParent).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

test('invocation hooks run as the worker runs them: pre hooks may replace the handler, post hooks see the result', async () => {
  const hooks = new InvocationHooks();
  const seen: string[] = [];
  hooks.register('preInvocation', (context) => {
    const original = context.functionCallback as (input: string) => Promise<string>;
    context.functionCallback = async (input: string) => `wrapped(${await original(input)})`;
    seen.push('pre');
  });
  hooks.register('postInvocation', (context) => {
    seen.push(`post:${String(context.result)}`);
  });
  const handler = hooks.around(async (input: never, _context: InvocationContext) => `handled ${String(input)}`);
  const result = await handler('x' as never, new InvocationContext({ invocationId: 'id', functionName: 'f' }));
  expect(result).toBe('wrapped(handled x)');
  expect(seen).toEqual(['pre', 'post:wrapped(handled x)']);
});

describe('what is exported', () => {
  test('every failure; of successes, the share asked, the same for every item of one trace', () => {
    const traces = Array.from({ length: 2000 }, (_, index) => index.toString(16).padStart(32, '0'));
    expect(traces.every((traceId) => isKept(true, traceId, 0))).toBe(true);
    expect(traces.some((traceId) => isKept(false, traceId, 0))).toBe(false);
    const kept = traces.filter((traceId) =>
      isKept(
        false,
        `${traceId.slice(0, 24)}${((Number.parseInt(traceId, 16) * 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
        25,
      ),
    ).length;
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
    expect(isKept(false, traces[7] as string, 25)).toBe(isKept(false, traces[7] as string, 25));
  });

  test('a storage 404, 409 or 412 is an answer the app asks for, not a failed dependency', () => {
    for (const status of [200, 201, 204, 404, 409, 412]) expect(dependencyFailed('table', { status })).toBe(false);
    for (const status of [401, 403, 429, 500, 503]) expect(dependencyFailed('table', { status })).toBe(true);
    expect(dependencyFailed('queue', { error: 'ECONNREFUSED' })).toBe(true);
    expect(dependencyFailed('graph', { status: 404 })).toBe(true);
  });

  test('a storage dependency names its table or queue, never the row keys', () => {
    expect(
      storageResourceOf(new URL("http://127.0.0.1:10002/acct/writeoperations(PartitionKey='ab',RowKey='abcd')?$select=x")),
    ).toBe('/acct/writeoperations');
    expect(storageResourceOf(new URL('https://acct.queue.core.windows.net/graph-writes/messages'))).toBe(
      '/graph-writes/messages',
    );
  });
});
