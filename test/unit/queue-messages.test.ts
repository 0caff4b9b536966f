import { resolveQueueConnection, resolveQueueName } from '../../dev/local-host/queue-connection';
import {
  afterFailure,
  asDeliveredToNode,
  decodeMessageText,
  dotNetTime,
  exceedsMaxDequeueCount,
  isValidQueueName,
  poisonQueueNameFor,
} from '../../dev/local-host/queue-messages';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('a message as the host reads it', () => {
  test('base64 is decoded to UTF-8 text, whitespace allowed; anything else is not a message under base64', () => {
    expect(decodeMessageText(base64('{"a":"ü✓"}'), 'base64')).toBe('{"a":"ü✓"}');
    expect(decodeMessageText(`${base64('line one').slice(0, 4)}\n ${base64('line one').slice(4)}`, 'base64')).toBe('line one');
    expect(decodeMessageText('', 'base64')).toBe('');
    for (const invalid of ['not base64!', 'abc', 'ab=c', '====']) expect(decodeMessageText(invalid, 'base64')).toBeUndefined();
    expect(decodeMessageText('not base64!', 'none')).toBe('not base64!');
  });

  test('the handler gets what JSON.parse makes of the text, or the text', () => {
    expect(asDeliveredToNode('{"a":[1]}')).toEqual({ a: [1] });
    expect(asDeliveredToNode(' [1, 2] ')).toEqual([1, 2]);
    expect(asDeliveredToNode('42')).toBe(42);
    expect(asDeliveredToNode('null')).toBeNull();
    expect(asDeliveredToNode('"quoted"')).toBe('quoted');
    expect(asDeliveredToNode('{"a":')).toBe('{"a":');
    expect(asDeliveredToNode('plain text')).toBe('plain text');
  });

  test('times as Json.NET writes a DateTimeOffset and a UTC DateTime', () => {
    expect(dotNetTime(new Date('2024-05-01T12:34:56.000Z'), 'DateTimeOffset')).toBe('2024-05-01T12:34:56+00:00');
    expect(dotNetTime(new Date('2024-05-01T12:34:56.120Z'), 'DateTime')).toBe('2024-05-01T12:34:56.12Z');
  });
});

describe('after a failure', () => {
  test('released until the attempt that reaches maxDequeueCount, which moves it to the poison queue', () => {
    expect([1, 2, 3, 4, 5].map((dequeueCount) => afterFailure(dequeueCount, 5, true))).toEqual([
      'release',
      'release',
      'release',
      'release',
      'poison',
    ]);
  });

  test('without a poison queue, left invisible', () => {
    expect(afterFailure(5, 5, false)).toBe('leave-invisible');
  });

  test('a message fetched more often than allowed is not invoked at all', () => {
    expect(exceedsMaxDequeueCount(5, 5)).toBe(false);
    expect(exceedsMaxDequeueCount(6, 5)).toBe(true);
  });

  test('the poison queue is <queue>-poison, except for a poison queue or a name that would be too long', () => {
    expect(poisonQueueNameFor('graph-writes')).toBe('graph-writes-poison');
    expect(poisonQueueNameFor('graph-writes-poison')).toBeUndefined();
    expect(poisonQueueNameFor('q'.repeat(56))).toBe(`${'q'.repeat(56)}-poison`);
    expect(poisonQueueNameFor('q'.repeat(57))).toBeUndefined();
  });

  test('queue names as the service accepts them', () => {
    for (const valid of ['abc', 'graph-writes', 'a1-b2', 'q'.repeat(63)]) expect(isValidQueueName(valid)).toBe(true);
    for (const invalid of ['ab', 'Graph', '-abc', 'abc-', 'a--b', 'a_b', 'q'.repeat(64)])
      expect(isValidQueueName(invalid)).toBe(false);
  });
});

describe('a trigger’s connection and queue name, from the app settings', () => {
  const connectionString = 'UseDevelopmentStorage=true';

  test('AzureWebJobs<name> before <name>; ConnectionStrings__<name>; names in any case', () => {
    expect(resolveQueueConnection('Jobs', { AzureWebJobsJobs: 'first', Jobs: 'second' })).toMatchObject({
      setting: 'AzureWebJobsJobs',
      connectionString: 'first',
    });
    expect(resolveQueueConnection('Jobs', { ConnectionStrings__Jobs: connectionString })).toMatchObject({
      kind: 'connection-string',
      setting: 'Jobs',
    });
    expect(resolveQueueConnection('IdempotencyStorage', { idempotencystorage: connectionString })).toMatchObject({
      setting: 'IdempotencyStorage',
      connectionString,
    });
  });

  test('no connection means AzureWebJobsStorage', () => {
    expect(resolveQueueConnection('', { AzureWebJobsStorage: connectionString })).toMatchObject({
      setting: 'AzureWebJobsStorage',
    });
    expect(resolveQueueConnection('', {})).toBe(
      'no storage connection: the trigger names none, so AzureWebJobsStorage must be a connection string, or AzureWebJobsStorage__queueServiceUri be set for an identity',
    );
  });

  test('identity-based: the queue service URI (or service URI, or account name), with a client id', () => {
    expect(
      resolveQueueConnection('IdempotencyStorage', {
        IdempotencyStorage__queueServiceUri: 'https://account.queue.core.windows.net',
        IdempotencyStorage__credential: 'managedidentity',
        IdempotencyStorage__clientId: '00000000-0000-0000-0000-000000000001',
      }),
    ).toEqual({
      kind: 'identity',
      setting: 'IdempotencyStorage',
      queueServiceUri: 'https://account.queue.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(resolveQueueConnection('Jobs', { Jobs__serviceUri: 'https://other.queue.core.windows.net' })).toMatchObject({
      queueServiceUri: 'https://other.queue.core.windows.net',
    });
    expect(resolveQueueConnection('Jobs', { Jobs__accountName: 'third' })).toMatchObject({
      queueServiceUri: 'https://third.queue.core.windows.net',
    });
    // A table-only identity section names no queue service.
    expect(resolveQueueConnection('Jobs', { Jobs__tableServiceUri: 'https://x.table.core.windows.net' })).toEqual(
      expect.stringContaining('no storage connection named "Jobs"'),
    );
  });

  test('queue names: %setting% resolved, then lower-cased and checked', () => {
    expect(resolveQueueName('%WRITE_QUEUE%', { WRITE_QUEUE: 'Graph-Writes' })).toEqual({ name: 'graph-writes' });
    expect(resolveQueueName('jobs-%ENV%', { env: 'dev' })).toEqual({ name: 'jobs-dev' });
    expect(resolveQueueName('%MISSING%', {})).toBe('the queue name "%MISSING%" names settings that are not set: MISSING');
    expect(resolveQueueName('bad_name', {})).toEqual(expect.stringContaining('"bad_name" is not a valid queue name'));
  });
});
