import { mayRetry } from '../../src/graph/gateway';

describe('which Graph answers the RetryHandler may send again', () => {
  test.each(['GET', 'PATCH', 'DELETE'])('%s is retried on 429, 503 and 504', (method) => {
    for (const status of [429, 503, 504]) expect(mayRetry(method, status, null)).toBe(true);
  });

  test('POST is retried on 429 only: a 503 or 504 may follow an applied create', () => {
    expect(mayRetry('POST', 429, '1')).toBe(true);
    expect(mayRetry('POST', 503, null)).toBe(false);
    expect(mayRetry('POST', 504, '1')).toBe(false);
  });

  test('a Retry-After longer than the facade waits is handed to the caller', () => {
    expect(mayRetry('GET', 429, '2.128')).toBe(true);
    expect(mayRetry('GET', 429, '11')).toBe(false);
    expect(mayRetry('GET', 503, new Date(Date.now() + 60_000).toUTCString())).toBe(false);
    expect(mayRetry('GET', 503, new Date(Date.now() + 2_000).toUTCString())).toBe(true);
  });
});
