import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseTimeSpan, type QueueOptions, QueueOptionsError, queueOptionsOf } from '../../dev/local-host/queue-options';
import { FIRST_POLL, nextPollInterval, nextRenewalDelay, type PollInterval } from '../../dev/local-host/queue-polling';

const withQueues = (queues: unknown) => ({ version: '2.0', extensions: { queues } });

describe('host.json extensions.queues, read as the Functions host reads it', () => {
  test('without the section: the extension’s defaults', () => {
    expect(queueOptionsOf({ version: '2.0' })).toEqual({
      options: {
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingIntervalMs: 60_000,
        visibilityTimeoutMs: 0,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
      warnings: [],
    });
  });

  test('the project’s host.json reads as docs/local-development.md explains it', () => {
    const hostJson: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8'));
    expect(queueOptionsOf(hostJson)).toEqual({
      options: {
        batchSize: 8,
        newBatchThreshold: 4,
        maxPollingIntervalMs: 2000,
        visibilityTimeoutMs: 5000,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
      warnings: [],
    });
  });

  test('newBatchThreshold follows batchSize unless set; keys in any case; numbers as text; encodings in any case', () => {
    expect(queueOptionsOf(withQueues({ batchSize: 5 })).options.newBatchThreshold).toBe(2);
    const { options } = queueOptionsOf(
      withQueues({ BatchSize: '32', NEWBATCHTHRESHOLD: 0, MaxDequeueCount: '1', messageencoding: 'None' }),
    );
    expect(options).toMatchObject<Partial<QueueOptions>>({
      batchSize: 32,
      newBatchThreshold: 0,
      maxDequeueCount: 1,
      messageEncoding: 'none',
    });
  });

  test('TimeSpans in .NET’s invariant forms; a bare number in text is days, as TimeSpan.Parse reads it', () => {
    expect(parseTimeSpan('00:00:02')).toBe(2000);
    expect(parseTimeSpan('00:00:00.1')).toBe(100);
    expect(parseTimeSpan('00:00:00.5')).toBe(500);
    expect(parseTimeSpan(' 00:01 ')).toBe(60_000);
    expect(parseTimeSpan('1.02:03:04.25')).toBe(86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000 + 250);
    expect(parseTimeSpan('2')).toBe(2 * 86_400_000);
    for (const refused of ['', 'soon', '00:00:60', '24:00:00', '00:00:02.12345678', '2s']) {
      expect(parseTimeSpan(refused)).toBeUndefined();
    }
  });

  test('unknown keys are reported, not fatal', () => {
    expect(queueOptionsOf(withQueues({ batchsize: 4, maxPollingIntervall: '00:00:02' })).warnings).toEqual([
      'host.json extensions.queues.maxPollingIntervall is not a setting of the queue extension; it is ignored.',
    ]);
  });

  test.each([
    [{ batchSize: 0 }, /batchSize must be a whole number from 1 to 32/],
    [{ batchSize: 33 }, /batchSize must be a whole number from 1 to 32/],
    [{ batchSize: 1.5 }, /batchSize/],
    [{ newBatchThreshold: -1 }, /newBatchThreshold must be a whole number from 0/],
    [{ maxDequeueCount: 0 }, /maxDequeueCount must be a whole number from 1/],
    [{ maxPollingInterval: '00:00:00.05' }, /must not be less than 100 ms/],
    [{ maxPollingInterval: 2000 }, /reads a number as days, not milliseconds/],
    [{ maxPollingInterval: 'two seconds' }, /must be a TimeSpan such as "00:00:02"/],
    [{ visibilityTimeout: '-00:00:01' }, /visibilityTimeout must be from "00:00:00" to "7.00:00:00"/],
    [{ visibilityTimeout: '8.00:00:00' }, /visibilityTimeout must be from/],
    [{ messageEncoding: 'utf8' }, /messageEncoding must be "base64" or "none"/],
  ])('%j is refused as the host refuses it', (queues, message) => {
    expect(() => queueOptionsOf(withQueues(queues))).toThrow(QueueOptionsError);
    expect(() => queueOptionsOf(withQueues(queues))).toThrow(message);
  });

  test('a section that is not an object is refused', () => {
    expect(() => queueOptionsOf(withQueues([]))).toThrow(/extensions.queues must be an object/);
  });
});

describe('polling back-off', () => {
  const bounds = { minimumMs: 100, maximumMs: 2000 };
  const emptyPolls = (count: number, random: () => number, start: PollInterval = FIRST_POLL) => {
    const delays: number[] = [];
    let interval = start;
    for (let poll = 0; poll < count; poll += 1) {
      interval = nextPollInterval(interval, false, bounds, random);
      delays.push(interval.delayMs);
    }
    return { delays, interval };
  };

  test('an empty queue: from the minimum, each wait about double the last step, up to the maximum, where it stays', () => {
    expect(emptyPolls(9, () => 0.5).delays).toEqual([100, 200, 300, 500, 900, 1700, 2000, 2000, 2000]);
  });

  test('the jitter keeps each step within 80% to 120% of its length', () => {
    expect(emptyPolls(5, () => 0).delays).toEqual([100, 180, 260, 420, 740]);
    expect(emptyPolls(5, () => 0.999999).delays.map(Math.round)).toEqual([100, 220, 340, 580, 1060]);
  });

  test('a poll that found messages brings the wait back to the minimum, and the back-off starts over', () => {
    const { interval } = emptyPolls(8, () => 0.5);
    expect(interval.delayMs).toBe(2000);
    const reset = nextPollInterval(interval, true, bounds, () => 0.5);
    expect(reset.delayMs).toBe(100);
    expect(emptyPolls(3, () => 0.5, reset).delays).toEqual([200, 300, 500]);
  });

  test('bounded by the maximum whatever the random source gives', () => {
    expect(Math.max(...emptyPolls(50, Math.random).delays)).toBeLessThanOrEqual(2000);
  });
});

test('a message being processed is renewed at half its hold, sooner after failed renewals but not under a minute', () => {
  const tenMinutes = 600_000;
  expect(nextRenewalDelay(tenMinutes, 0)).toBe(300_000);
  expect(nextRenewalDelay(tenMinutes, 1)).toBe(150_000);
  expect(nextRenewalDelay(tenMinutes, 2)).toBe(100_000);
  expect(nextRenewalDelay(tenMinutes, 10)).toBe(60_000);
  expect(nextRenewalDelay(2000, 3)).toBe(1000);
});
