import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LogHandler } from '@azure/functions';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { createCoreApiStandIn, type RegisteredQueueFunction } from '../../dev/functions-runtime';
import { type QueueFunctionsSettings, startQueueFunctions } from '../../dev/local-host/queue-functions';
import { dotNetTime } from '../../dev/local-host/queue-messages';
import { type QueueOptions, queueOptionsOf } from '../../dev/local-host/queue-options';
import { type QueueListenerSettings, type QueueOperations, startQueueListener } from '../../dev/local-host/queue-trigger';
import type { RecordedInvocation } from '../fixtures/queue-app/app';
import { testStorage } from '../support/storage';

// The queue listener of the local host against the run's Azurite Queue service, over sockets, with
// the fixture app (test/fixtures/queue-app) registered through `@azure/functions` exactly as the
// Functions worker registers it. Timings come from the fixture's host.json: batches of 4, a new
// batch at 2 in flight, polls at most 0.5 s apart, failed messages visible again after 1 s, and
// 3 attempts before the poison queue.
const mockCore = createCoreApiStandIn();
jest.mock('@azure/functions-core', () => mockCore.coreApi, { virtual: true });

const FIXTURE = join(__dirname, '..', 'fixtures', 'queue-app');
const OPTIONS: QueueOptions = queueOptionsOf(JSON.parse(readFileSync(join(FIXTURE, 'host.json'), 'utf8'))).options;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let invocations: RecordedInvocation[];
let orders: RegisteredQueueFunction;
const service = QueueServiceClient.fromConnectionString(testStorage());
const logs: string[] = [];
const running: { stop(): Promise<void> }[] = [];

beforeAll(() => {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app's entry, loaded as the worker loads it
    invocations = (require(join(FIXTURE, 'app')) as { invocations: RecordedInvocation[] }).invocations;
  });
  expect(mockCore.queues).toHaveLength(1);
  orders = mockCore.queues[0] as RegisteredQueueFunction;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((listener) => listener.stop()));
  invocations.length = 0;
  logs.length = 0;
});

const logFor =
  (functionName: string, invocationId: string): LogHandler =>
  (level, ...args) =>
    logs.push(`${level} ${functionName} (${invocationId}): ${args.map(String).join(' ')}`);

const newQueueName = () => `orders-${randomBytes(5).toString('hex')}`;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const ended = () => invocations.filter((invocation) => invocation.phase === 'ended');
const started = () => invocations.filter((invocation) => invocation.phase === 'started');
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createdQueue(name: string): Promise<QueueClient> {
  const queue = service.getQueueClient(name);
  await queue.create();
  return queue;
}

/** Polls `probe` every 25 ms until it gives a value, for at most `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await probe();
    if (value !== undefined) return value;
    await delay(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Messages in a queue, visible or not. */
const messageCount = async (queue: QueueClient) => (await queue.getProperties()).approximateMessagesCount;
const emptied = (queue: QueueClient) =>
  waitFor(`queue ${queue.name} to be empty`, async () => ((await messageCount(queue)) === 0 ? true : undefined));

/** The fixture's function, listening on `queueName` as the host starts it (settings resolved, clients made). */
async function startOrders(
  queueName: string,
  options: Partial<QueueOptions> = {},
  listener: QueueFunctionsSettings['listener'] = {},
  appSettings: Record<string, string> = { QueueAppStorage: testStorage(), QUEUE_APP_QUEUE: queueName },
) {
  const functions = await startQueueFunctions([orders], {
    options: { ...OPTIONS, ...options },
    appSettings,
    logFor,
    listener: { shutdownTimeoutMs: 5000, ...listener },
  });
  running.push(functions);
  return functions;
}

/** A queue whose operations are recorded as the listener makes them. */
function watched(queue: QueueClient): { operations: QueueOperations; calls: { method: string; args: unknown[] }[] } {
  const calls: { method: string; args: unknown[] }[] = [];
  const operations = new Proxy(queue, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(property), args });
        return (value as (...inner: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { operations, calls };
}

function listen(settings: Partial<QueueListenerSettings> & Pick<QueueListenerSettings, 'queue'>) {
  const listener = startQueueListener({
    functionName: orders.name,
    handler: orders.handler,
    poisonQueue: undefined,
    options: OPTIONS,
    logFor: (invocationId) => logFor(orders.name, invocationId),
    shutdownTimeoutMs: 5000,
    ...settings,
  });
  running.push(listener);
  return listener;
}

describe('what the handler receives', () => {
  test('a base64 JSON message, decoded and parsed, with the trigger metadata the host gives; deleted once handled', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name);
    const body = { OrderId: 'A-1', lines: [1, 2] };
    const sent = await queue.sendMessage(base64(JSON.stringify(body)));
    const [invocation] = await waitFor('the invocation', () => (ended().length > 0 ? ended() : undefined));
    expect(invocation).toMatchObject({ functionName: 'QueueAppOrders', input: body, outcome: 'succeeded' });
    expect(invocation?.invocationId).toMatch(GUID);
    expect(invocation?.triggerMetadata).toEqual({
      // @azure/functions lower-cases the first letter of every metadata key, the message's own too.
      queueTrigger: { orderId: 'A-1', lines: [1, 2] },
      dequeueCount: 1,
      id: sent.messageId,
      popReceipt: expect.any(String),
      insertionTime: dotNetTime(sent.insertedOn, 'DateTimeOffset'),
      expirationTime: dotNetTime(sent.expiresOn, 'DateTimeOffset'),
      nextVisibleTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/),
      sys: { methodName: 'QueueAppOrders', utcNow: expect.stringMatching(/^\d{4}-.*Z$/), randGuid: expect.stringMatching(GUID) },
    });
    await emptied(queue);
    expect(logs).toContainEqual(expect.stringMatching(/^information QueueAppOrders \(.+\): Executed \(Succeeded, message /));
  });

  test('text that is not JSON stays text; JSON of any kind is parsed, as @azure/functions parses it', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name);
    const texts = ['hello queue', '{not json', '[1,"two"]', '42', 'true', 'héllo wörld ✓'];
    for (const text of texts) await queue.sendMessage(base64(text));
    await waitFor('every invocation', () => (ended().length === texts.length ? true : undefined));
    expect(ended().map((invocation) => invocation.input)).toEqual(
      expect.arrayContaining(['hello queue', '{not json', [1, 'two'], 42, true, 'héllo wörld ✓']),
    );
    await emptied(queue);
  });

  test('messageEncoding none: the text as stored, not decoded', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name, { messageEncoding: 'none' });
    await queue.sendMessage('plain {text}');
    await waitFor('the invocation', () => ended()[0]);
    expect(ended().map((invocation) => invocation.input)).toEqual(['plain {text}']);
  });

  test('under base64, a message that is not base64 goes to the poison queue, as stored, without an invocation', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name);
    await queue.sendMessage('not base64!');
    const poison = service.getQueueClient(`${name}-poison`);
    const [moved] = await waitFor('the poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const { peekedMessageItems } = await poison.peekMessages();
      return peekedMessageItems.length > 0 ? peekedMessageItems : undefined;
    });
    expect(moved?.messageText).toBe('not base64!');
    await emptied(queue);
    expect(invocations).toHaveLength(0);
  });
});

describe('failures', () => {
  test('a failed message is tried again only after visibilityTimeout, its dequeueCount growing, until it succeeds', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name);
    await queue.sendMessage(base64(JSON.stringify({ failUntilDequeueCount: 3 })));
    await waitFor('the third attempt', () => (ended().length === 3 ? true : undefined));
    expect(ended().map((invocation) => [invocation.triggerMetadata?.dequeueCount, invocation.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
    const attempts = started();
    for (let attempt = 1; attempt < attempts.length; attempt += 1) {
      const releasedAt = (ended()[attempt - 1] as RecordedInvocation).at;
      // Visible again 1 s after the release (the service counts whole seconds; a little slack for clocks).
      expect((attempts[attempt] as RecordedInvocation).at - releasedAt).toBeGreaterThanOrEqual(OPTIONS.visibilityTimeoutMs - 50);
    }
    expect(logs).toContainEqual(
      expect.stringMatching(/^error QueueAppOrders \(.+\): Unhandled error: Error: failing on purpose at delivery 1/),
    );
    await emptied(queue);
  });

  test('a message that always fails ends in <queue>-poison after maxDequeueCount attempts, its body intact, and leaves the queue', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    await startOrders(name);
    const text = base64(JSON.stringify({ fail: true, orderId: 'B-2' }));
    await queue.sendMessage(text);
    const poison = service.getQueueClient(`${name}-poison`);
    const [moved] = await waitFor('the poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const { peekedMessageItems } = await poison.peekMessages();
      return peekedMessageItems.length > 0 ? peekedMessageItems : undefined;
    });
    expect(moved?.messageText).toBe(text);
    await emptied(queue);
    expect(ended().map((invocation) => invocation.triggerMetadata?.dequeueCount)).toEqual([1, 2, 3]);
    expect(ended().every((invocation) => invocation.outcome === 'failed')).toBe(true);
    expect(logs).toContainEqual(
      expect.stringContaining(`has reached MaxDequeueCount of 3. Moving message to queue '${name}-poison'.`),
    );
    // Nothing more: the poison queue is the end.
    await delay(1500);
    expect(ended()).toHaveLength(3);
  });

  test('a message already fetched more often than maxDequeueCount goes to the poison queue without an invocation', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    const text = base64('fetched by others');
    await queue.sendMessage(text);
    // Three earlier deliveries that ended without settling the message (a host that stopped mid-way).
    for (let delivery = 0; delivery < OPTIONS.maxDequeueCount; delivery += 1) {
      const [message] = (await queue.receiveMessages({ visibilityTimeout: 30 })).receivedMessageItems;
      if (!message) throw new Error('the message was not fetched');
      await queue.updateMessage(message.messageId, message.popReceipt, undefined, 0);
    }
    await startOrders(name);
    const poison = service.getQueueClient(`${name}-poison`);
    await waitFor('the poison message', async () =>
      (await poison.exists()) && (await messageCount(poison)) === 1 ? true : undefined,
    );
    expect((await poison.peekMessages()).peekedMessageItems[0]?.messageText).toBe(text);
    await emptied(queue);
    expect(invocations).toHaveLength(0);
  });

  test('a poison queue has no poison queue of its own: a failed message stays invisible instead of spinning', async () => {
    const name = `${newQueueName()}-poison`;
    const queue = await createdQueue(name);
    const functions = await startOrders(name);
    expect(functions.report).toEqual([
      expect.objectContaining({ level: 'information', text: expect.stringContaining(`queue '${name}' (poison queue none)`) }),
    ]);
    await queue.sendMessage(base64(JSON.stringify({ fail: true })));
    await waitFor('the attempt', () => ended()[0]);
    await delay(OPTIONS.visibilityTimeoutMs + 1500);
    expect(ended()).toHaveLength(1);
    expect(await messageCount(queue)).toBe(1);
  });
});

describe('polling', () => {
  test('no more than batchSize + newBatchThreshold invocations at once; each poll asks for batchSize messages', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    for (let message = 0; message < 12; message += 1) await queue.sendMessage(base64(`message ${message}`));
    const { operations, calls } = watched(queue);
    // Of each batch of four, the first two take long and the last two are quick: once the quick
    // ones end, two are in flight (the threshold), and a second batch comes while the first is running.
    let begun = 0;
    let inFlight = 0;
    let most = 0;
    let done = 0;
    listen({
      queue: operations,
      handler: async () => {
        const position = begun;
        begun += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        await delay(position % 4 < 2 ? 1200 : 100);
        inFlight -= 1;
        done += 1;
      },
    });
    await waitFor('every message', () => (done === 12 ? true : undefined), 15_000);
    expect(most).toBe(OPTIONS.batchSize + OPTIONS.newBatchThreshold);
    const receives = calls.filter((call) => call.method === 'receiveMessages');
    expect(receives.length).toBeGreaterThanOrEqual(3);
    for (const receive of receives)
      expect(receive.args[0]).toMatchObject({ numberOfMessages: OPTIONS.batchSize, visibilityTimeout: 600 });
    await emptied(queue);
  });

  test('a missing queue is polled as empty, with back-off, without an error; its messages are handled once it exists', async () => {
    const name = newQueueName();
    const queue = service.getQueueClient(name);
    const { operations, calls } = watched(queue);
    listen({ queue: operations });
    await delay(1600);
    const polls = calls.filter((call) => call.method === 'exists').length;
    // Every 100 ms would be 16 polls; backing off (100, 200, 300, 500, 500 ms...) it is about 6.
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(polls).toBeLessThanOrEqual(8);
    expect(calls.filter((call) => call.method === 'receiveMessages')).toHaveLength(0);
    await queue.create();
    await queue.sendMessage(base64('now it exists'));
    await waitFor('the invocation', () => ended()[0]);
    expect(ended()[0]?.input).toBe('now it exists');
    expect(logs.filter((line) => /^(warning|error)/.test(line))).toEqual([]);
  });

  test('a message held longer than its fetch’s visibility timeout is kept invisible, never delivered twice', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    const { operations, calls } = watched(queue);
    // The host holds a message for 10 minutes and renews at 5; here 2 s, renewed every second.
    listen({ queue: operations, processingVisibilityTimeoutMs: 2000 });
    await queue.sendMessage(base64(JSON.stringify({ holdMs: 4500 })));
    await waitFor('the invocation to end', () => ended()[0], 10_000);
    expect(started()).toHaveLength(1);
    expect(ended()[0]?.outcome).toBe('succeeded');
    const renewals = calls.filter((call) => call.method === 'updateMessage');
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    for (const renewal of renewals) expect(renewal.args[3]).toBe(2);
    await emptied(queue);
  });

  test('stopping waits for the invocations in flight and settles their messages', async () => {
    const name = newQueueName();
    const queue = await createdQueue(name);
    const listener = listen({ queue });
    await queue.sendMessage(base64(JSON.stringify({ holdMs: 800 })));
    await waitFor('the invocation to start', () => started()[0]);
    const stopping = Date.now();
    await listener.stop();
    expect(ended()).toHaveLength(1);
    expect(Date.now() - stopping).toBeLessThan(5000);
    expect(await messageCount(queue)).toBe(0);
    // Stopped means stopped: a new message stays in the queue.
    await queue.sendMessage(base64('after the stop'));
    await delay(700);
    expect(started()).toHaveLength(1);
  });
});

describe('start-up', () => {
  test('a function whose connection or queue name cannot be resolved does not run, and the report says why', async () => {
    const name = newQueueName();
    const noConnection = await startOrders(name, {}, {}, { QUEUE_APP_QUEUE: name });
    expect(noConnection.report).toEqual([
      {
        level: 'error',
        text: 'QueueAppOrders: the function is in error and does not run: no storage connection named "QueueAppStorage": set QueueAppStorage (or AzureWebJobsQueueAppStorage) to a connection string, or QueueAppStorage__queueServiceUri for an identity',
      },
    ]);
    const noQueueName = await startOrders(name, {}, {}, { QueueAppStorage: testStorage() });
    expect(noQueueName.report[0]?.text).toContain('names settings that are not set: QUEUE_APP_QUEUE');
  });

  test('the report names the queue, its poison queue and the endpoint, never the account key', async () => {
    const name = newQueueName();
    const functions = await startOrders(name);
    const accountKey = /AccountKey=([^;]+)/.exec(testStorage())?.[1] as string;
    const queueEndpoint = /QueueEndpoint=([^;]+)/.exec(testStorage())?.[1] as string;
    expect(functions.report).toEqual([
      {
        level: 'information',
        text: `QueueAppOrders: queue '${name}' (poison queue '${name}-poison') via QueueAppStorage, connection string, ${queueEndpoint}`,
      },
    ]);
    expect(JSON.stringify(functions.report)).not.toContain(accountKey);
  });
});
