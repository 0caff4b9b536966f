import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { QueueServiceClient } from '@azure/storage-queue';
import { buildSync } from 'esbuild';

import { type HostProcess, startHostProcess } from '../../dev/host-process';
import type { RecordedInvocation } from '../fixtures/queue-app/app';
import { testStorage } from '../support/storage';

// The built local host (dist/dev/host.js) in its own process, running a function app folder of
// its own as the Functions host runs its script root: the fixture app bundled as the real app is
// (package.json main), beside its host.json. Queue connection and name come from the environment.
const FIXTURE = join(__dirname, '..', 'fixtures', 'queue-app');

let appRoot: string;
const service = QueueServiceClient.fromConnectionString(testStorage());
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

beforeAll(() => {
  appRoot = mkdtempSync(join(tmpdir(), 'facade-queue-app-'));
  buildSync({
    entryPoints: [join(FIXTURE, 'app.ts')],
    outfile: join(appRoot, 'dist', 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Provided by the Functions worker (here, by the local host), as for the app's own bundle.
    external: ['@azure/functions-core'],
    logLevel: 'warning',
  });
  writeFileSync(join(appRoot, 'package.json'), JSON.stringify({ name: 'queue-app', main: 'dist/index.js' }));
  copyFileSync(join(FIXTURE, 'host.json'), join(appRoot, 'host.json'));
});

afterAll(() => {
  if (appRoot) rmSync(appRoot, { recursive: true, force: true });
});

function recorded(file: string): RecordedInvocation[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as RecordedInvocation);
}

/** Polls `probe` every 25 ms until it gives a value, for at most `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function withHost<T>(environment: Record<string, string>, use: (host: HostProcess) => Promise<T>): Promise<T> {
  const host = await startHostProcess({ FACADE_APP_ROOT: appRoot, ...environment });
  try {
    return await use(host);
  } finally {
    await host.stop();
  }
}

test('the host runs the app’s queue function with host.json’s options and the connection from its settings, logs each invocation, and lets one in flight finish when it stops', async () => {
  const queueName = `orders-${randomBytes(5).toString('hex')}`;
  const recordFile = join(appRoot, `${queueName}.jsonl`);
  const queue = service.getQueueClient(queueName);
  await queue.create();
  const host = await startHostProcess({
    FACADE_APP_ROOT: appRoot,
    QueueAppStorage: testStorage(),
    QUEUE_APP_QUEUE: queueName,
    QUEUE_APP_RECORD_FILE: recordFile,
  });
  try {
    const listed = (await (await fetch(host.baseUrl.replace(/\/api$/, '/admin/functions'))).json()) as unknown[];
    expect(listed).toEqual([
      { name: 'QueueAppOrders', trigger: 'queueTrigger', queueName: '%QUEUE_APP_QUEUE%', connection: 'QueueAppStorage' },
    ]);
    expect(host.output()).toContain(
      'Queue options (host.json extensions.queues): batchSize 4, newBatchThreshold 2, maxPollingInterval 500 ms, visibilityTimeout 1000 ms, maxDequeueCount 3, messageEncoding base64',
    );
    expect(host.output()).toContain(
      `Queue trigger QueueAppOrders: queue '${queueName}' (poison queue '${queueName}-poison') via QueueAppStorage, connection string, http://127.0.0.1:`,
    );

    const first = await queue.sendMessage(base64(JSON.stringify({ orderId: 'C-3' })));
    await waitFor('the invocation', () => recorded(recordFile).find((entry) => entry.phase === 'ended'));
    await waitFor('its log lines', () =>
      host.output().includes(`Executed (Succeeded, message ${first.messageId}, dequeue count 1,`) ? true : undefined,
    );
    expect(host.output()).toMatch(
      new RegExp(`information QueueAppOrders \\([0-9a-f-]{36}\\): handled message ${first.messageId}`),
    );

    // Stopped while a message is being handled: the invocation finishes and its message is deleted first.
    await queue.sendMessage(base64(JSON.stringify({ holdMs: 1500 })));
    await waitFor('the second invocation to start', () =>
      recorded(recordFile).filter((entry) => entry.phase === 'started').length === 2 ? true : undefined,
    );
    await host.stop();
    const ends = recorded(recordFile).filter((entry) => entry.phase === 'ended');
    expect(ends.map((entry) => entry.outcome)).toEqual(['succeeded', 'succeeded']);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
  } finally {
    await host.stop();
  }
});

test('a queue function whose connection is not set is in error; the host starts and serves the rest', async () => {
  await withHost({ QUEUE_APP_QUEUE: 'orders-unset' }, async (host) => {
    expect(host.output()).toContain(
      'Queue trigger QueueAppOrders: the function is in error and does not run: no storage connection named "QueueAppStorage"',
    );
    expect((await fetch(host.baseUrl.replace(/\/api$/, '/admin/functions'))).status).toBe(200);
  });
});

test('host.json queue options the Functions host would refuse stop the host at start', async () => {
  const hostJson = join(appRoot, 'host.json');
  const valid = readFileSync(hostJson, 'utf8');
  writeFileSync(hostJson, JSON.stringify({ version: '2.0', extensions: { queues: { maxPollingInterval: 2000 } } }));
  try {
    await expect(
      startHostProcess({ FACADE_APP_ROOT: appRoot, QueueAppStorage: testStorage(), QUEUE_APP_QUEUE: 'orders-x' }),
    ).rejects.toThrow(/maxPollingInterval is the number 2000: the Functions host \(2.x and later\) reads a number as days/);
  } finally {
    writeFileSync(hostJson, valid);
  }
});
