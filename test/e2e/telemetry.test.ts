import { randomBytes } from 'node:crypto';

import { QueueServiceClient } from '@azure/storage-queue';

import { operationIdFor } from '../../src/idempotency';
import { writeMessage } from '../../src/operations/write-queue';
import { CALLER_CORRELATION_HEADERS } from '../../src/telemetry/correlation';
import { SEEDED_PATHS, type Stack, type TelemetryLine, useStack, withStack } from '../support/stack';
import { testStorage } from '../support/storage';

// The telemetry the app exports, read from the JSON lines file the local host and the app write
// (TELEMETRY_FILE): the app's records and dependency spans, and the host's request rows.

const queueName = `telemetry-writes-${randomBytes(4).toString('hex')}`;
const running = useStack({ facadeEnvironment: { WRITE_QUEUE_NAME: queueName } });

/** Logic Apps (Consumption) headers, and Standard's traceparent, flagged "not sampled". */
const LOGIC_APP_HEADERS: Record<string, string> = {
  'x-ms-workflow-id': 'a1b2c3d4e5f6',
  'x-ms-workflow-name': 'intune-report-flow',
  'x-ms-workflow-run-id': '08584512345678901234567890CU01',
  'x-ms-workflow-run-tracking-id': 'c0ffee00-1111-2222-3333-444455556666',
  'x-ms-workflow-operation-name': 'Update_summary',
  'x-ms-client-tracking-id': '08584512345678901234567890CU01',
  'x-ms-tracking-id': 'f00dfeed-aaaa-bbbb-cccc-ddddeeeeffff',
  'x-ms-correlation-id': 'f00dfeed-aaaa-bbbb-cccc-ddddeeeeffff',
  'x-ms-client-request-id': 'f00dfeed-aaaa-bbbb-cccc-ddddeeeeffff',
  'client-request-id': '5d0e6a8f-1c2b-4d3e-8f9a-0b1c2d3e4f5a',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits up to `timeoutMs` for telemetry lines that `pick` finds. */
async function eventually(
  stack: Stack,
  pick: (lines: TelemetryLine[]) => TelemetryLine[],
  timeoutMs = 10_000,
): Promise<TelemetryLine[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = pick(stack.telemetry());
    if (found.length > 0 || Date.now() > until) return found;
    await sleep(50);
  }
}

const records =
  (event: string, where: (line: TelemetryLine) => boolean = () => true) =>
  (lines: TelemetryLine[]) =>
    lines.filter((line) => line.type === 'record' && line.attributes.event === event && where(line));

const callOf = (clientRequestId: string) =>
  records('facade.call', (line) => line.attributes.client_request_id === clientRequestId);

describe('a call carrying Logic Apps’ headers', () => {
  test('leaves one record with every attribute, its Graph dependency and the host’s request row, in the caller’s trace', async () => {
    const marker = 424_242;
    const answer = await running().call('PATCH', SEEDED_PATHS.userStatusSummary, {
      body: { pendingCount: marker },
      headers: { ...LOGIC_APP_HEADERS, 'idempotency-key': 'telemetry-key-7c1d2e' },
    });
    expect(answer.status).toBe(200);
    const [call] = await eventually(running(), callOf(LOGIC_APP_HEADERS['client-request-id'] as string));
    expect(call?.attributes).toMatchObject({
      operation: 'UpdateMobileAppConfigurationUserStatusSummary',
      'http.route': 'mobile-app-configurations/{configurationId}/user-status-summary',
      'http.request.method': 'PATCH',
      'http.response.status_code': 200,
      'graph.status': expect.any(Number),
      'graph.request_id': answer.headers.get('x-graph-request-id'),
      'graph.attempts': 1,
      'budget.wait_ms': expect.any(Number),
      idempotency: expect.any(String),
      failed: false,
    });
    for (const [header, attribute] of Object.entries(CALLER_CORRELATION_HEADERS))
      expect(call?.attributes[attribute]).toBe(LOGIC_APP_HEADERS[header]);
    // Kept although the caller's traceparent says "not sampled": the app's records never follow its flags.
    expect(call?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');

    const lines = running().telemetry();
    const graph = lines.filter(
      (line) => line.type === 'dependency' && line.traceId === call?.traceId && line.attributes['dependency.kind'] === 'graph',
    );
    expect(graph.map((line) => line.attributes['http.request.method'])).toContain('PATCH');
    expect(graph.find((line) => line.attributes['graph.request_id'] === call?.attributes['graph.request_id'])).toMatchObject({
      success: true,
      attributes: { 'http.response.status_code': call?.attributes['graph.status'] },
    });
    expect(lines.some((line) => line.traceId === call?.traceId && line.attributes['dependency.kind'] === 'table')).toBe(true);
    const request = lines.find((line) => (line.type as string) === 'request' && line.traceId === call?.traceId);
    expect(request).toMatchObject({ parentSpanId: '00f067aa0ba902b7', attributes: { 'http.response.status_code': 200 } });
    // The record and the dependencies are children of the host's span for the request.
    expect(call?.parentSpanId).toBe(request?.spanId);

    // Never a body, a key or a token.
    const text = JSON.stringify(lines);
    expect(text).not.toContain(String(marker));
    expect(text).not.toContain('telemetry-key-7c1d2e');
    expect(text).not.toMatch(/x-functions-key|authorization|bearer/i);
  });

  test('a correlation value that is not printable is left out, and a long one is cut', async () => {
    const clientRequestId = '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    await running().call('GET', SEEDED_PATHS.userStatusSummary, {
      headers: { 'client-request-id': clientRequestId, 'x-ms-workflow-name': 'x'.repeat(5000), 'x-ms-tracking-id': 'tab\there' },
    });
    const [call] = await eventually(running(), callOf(clientRequestId));
    expect(call?.attributes['caller.workflow_name']).toHaveLength(200);
    expect(call?.attributes).not.toHaveProperty('caller.tracking_id');
  });

  test('an asynchronous write names its operation, and the worker’s run of it is recorded with its outcome', async () => {
    const clientRequestId = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
    // A key whose operation id holds both of base64url's own characters, `-` and `_`.
    let key = 0;
    while (!/-.*_|_.*-/.test(operationIdFor(`telemetry-async-${key}`))) key++;
    const answer = await running().call('PATCH', SEEDED_PATHS.userStatusOverview, {
      body: { successCount: 3 },
      headers: { prefer: 'respond-async', 'client-request-id': clientRequestId, 'idempotency-key': `telemetry-async-${key}` },
    });
    expect(answer.status).toBe(202);
    const [call] = await eventually(running(), callOf(clientRequestId));
    const operationId = call?.attributes.operation_id as string;
    expect(answer.headers.get('location')).toContain(operationId);
    const [run] = await eventually(
      running(),
      records('facade.write.run', (line) => line.attributes.operation_id === operationId && line.attributes.outcome === 'done'),
      20_000,
    );
    expect(run?.attributes).toMatchObject({ 'http.response.status_code': 200, failed: false, 'queue.dequeue_count': 1 });
    expect(run?.attributes['queue.message_age_ms']).toEqual(expect.any(Number));
    // Its caller's poll leaves a record too, naming the operation.
    const pollId = '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9';
    const poll = await fetch(answer.headers.get('location') as string, { headers: { 'client-request-id': pollId } });
    expect(poll.status).toBe(200);
    const [polled] = await eventually(running(), callOf(pollId));
    expect(polled?.attributes).toMatchObject({
      operation: 'OperationStatus',
      operation_id: operationId,
      'http.response.status_code': 200,
    });
  });
});

describe('a failure of each alert’s kind is in the telemetry', () => {
  test('a 5xx answer: the record is an error and says so', async () => {
    await running().control('POST', 'faults', { method: 'GET', status: 500, times: 20 });
    const clientRequestId = '11111111-2222-4333-8444-555555555555';
    const answer = await running().call('GET', SEEDED_PATHS.installSummary, {
      headers: { 'client-request-id': clientRequestId },
    });
    expect(answer.status).toBeGreaterThanOrEqual(500);
    const [call] = await eventually(running(), callOf(clientRequestId));
    expect(call).toMatchObject({ severity: 'ERROR', attributes: { failed: true, 'graph.status': 500 } });
    const failedGraph = running()
      .telemetry()
      .filter(
        (line) => line.type === 'dependency' && line.traceId === call?.traceId && line.attributes['dependency.kind'] === 'graph',
      );
    expect(failedGraph.every((line) => line.success === false)).toBe(true);
  });

  test('Graph refuses the app (a grant removed): 403 on the record and on its dependency', async () => {
    await running().control('PUT', 'roles', { roles: [] });
    const clientRequestId = '22222222-3333-4444-8555-666666666666';
    await running().call('GET', SEEDED_PATHS.userStatusSummary, { headers: { 'client-request-id': clientRequestId } });
    const [call] = await eventually(running(), callOf(clientRequestId));
    // The facade answers 502 (its own grant is missing, not the caller's fault): an error, with Graph's 403.
    expect(call).toMatchObject({ severity: 'ERROR', attributes: { 'graph.status': 403, failed: true } });
    const [refused] = await eventually(running(), (lines) =>
      lines.filter(
        (line) => line.type === 'dependency' && line.traceId === call?.traceId && line.attributes['dependency.kind'] === 'graph',
      ),
    );
    expect(refused).toMatchObject({ success: false, attributes: { 'http.response.status_code': 403 } });
  });

  test('throttling: Graph’s 429 and the facade’s own 429 are both recorded', async () => {
    await running().control('POST', 'faults', { method: 'GET', status: 429, retryAfter: '120', times: 5 });
    const clientRequestId = '33333333-4444-4555-8666-777777777777';
    const answer = await running().call('GET', SEEDED_PATHS.userStatusSummary, {
      headers: { 'client-request-id': clientRequestId },
    });
    expect(answer.status).toBe(429);
    const [call] = await eventually(running(), callOf(clientRequestId));
    expect(call).toMatchObject({ severity: 'WARN', attributes: { 'http.response.status_code': 429, 'graph.status': 429 } });
  });

  test('an asynchronous write that failed, and one whose message was poisoned', async () => {
    const clientRequestId = '44444444-5555-4666-8777-888888888888';
    const accepted = await running().call('PATCH', 'device-compliance-policies/no-such-policy/user-status-overview', {
      body: { successCount: 1 },
      headers: { prefer: 'respond-async', 'client-request-id': clientRequestId },
    });
    expect(accepted.status).toBe(202);
    const [call] = await eventually(running(), callOf(clientRequestId));
    const operationId = call?.attributes.operation_id as string;
    const [failed] = await eventually(
      running(),
      records('facade.write.run', (line) => line.attributes.operation_id === operationId && line.attributes.outcome === 'done'),
      20_000,
    );
    expect(failed).toMatchObject({ severity: 'ERROR', attributes: { 'http.response.status_code': 404, failed: true } });

    // A message that kept failing reaches the poison queue; its function ends the operation and says so.
    const poison = QueueServiceClient.fromConnectionString(testStorage()).getQueueClient(`${queueName}-poison`);
    await poison.createIfNotExists();
    await poison.sendMessage(Buffer.from(writeMessage(operationId)).toString('base64'));
    const [abandoned] = await eventually(
      running(),
      records('facade.write.abandoned', (line) => line.attributes.operation_id === operationId),
      20_000,
    );
    expect(abandoned).toMatchObject({ severity: 'ERROR', attributes: { failed: true } });
  });

  test('an unreachable store: the budget falls back to its local share, and a keyed write is refused, both recorded', async () => {
    const accountKey = Buffer.from('not-a-real-key').toString('base64');
    const unreachable = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;`;
    await withStack({ facadeEnvironment: { IdempotencyStorage: unreachable, GRAPH_BUDGET: 'shared' } }, async (stack) => {
      const clientRequestId = '55555555-6666-4777-8888-999999999999';
      const answer = await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
        body: { pendingCount: 2 },
        headers: { 'idempotency-key': 'unreachable-store-1', 'client-request-id': clientRequestId },
      });
      expect(answer.status).toBe(503);
      const [call] = await eventually(stack, callOf(clientRequestId));
      expect(call).toMatchObject({ severity: 'ERROR', attributes: { failed: true, 'problem.type': answer.json.type } });
      // A read takes its turn from the budget, which cannot reach its table either.
      expect((await stack.call('GET', SEEDED_PATHS.userStatusSummary)).status).toBe(200);
      const [fallback] = await eventually(stack, records('facade.budget.fallback'));
      expect(fallback?.severity).toBe('WARN');
      const storage = stack
        .telemetry()
        .filter((line) => line.type === 'dependency' && line.attributes['dependency.kind'] === 'table');
      expect(storage.some((line) => line.success === false && line.attributes['error.type'] !== undefined)).toBe(true);
    });
  }, 60_000);
});

test('sampling keeps every failure: with no share of successes kept, a failed call is still exported and a good one is not', async () => {
  await withStack({ facadeEnvironment: { TELEMETRY_SUCCESS_SAMPLE_PERCENT: '0' } }, async (stack) => {
    const good = '66666666-7777-4888-8999-000000000000';
    const bad = '77777777-8888-4999-8000-111111111111';
    await stack.call('GET', SEEDED_PATHS.userStatusSummary, { headers: { 'client-request-id': good } });
    await stack.control('POST', 'faults', { method: 'GET', status: 500, times: 20 });
    await stack.call('GET', SEEDED_PATHS.userStatusSummary, { headers: { 'client-request-id': bad } });
    expect(await eventually(stack, callOf(bad))).toHaveLength(1);
    expect(callOf(good)(stack.telemetry())).toHaveLength(0);
  });
});
