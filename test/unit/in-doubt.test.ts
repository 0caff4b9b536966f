import type { AttemptEnding } from '../../src/graph/attempt';
import type { GraphExchange } from '../../src/graph/gateway';
import {
  fateOf,
  mayRepeat,
  settlementOf,
  wasOnlyDelayed,
  type WriteFate,
  type WriteMethod,
} from '../../src/operations/write-rules';

const answer = (status: number): AttemptEnding => ({ kind: 'answer', status });

// The rule as the README states it: every kind of ending a write can meet, and what it proves.
const TABLE: [string, AttemptEnding, WriteFate][] = [
  ['200', answer(200), 'final'],
  ['201', answer(201), 'final'],
  ['204', answer(204), 'final'],
  ['400', answer(400), 'final'],
  ['404', answer(404), 'final'],
  ['409', answer(409), 'final'],
  ['412', answer(412), 'final'],
  ['422', answer(422), 'final'],
  ['401', answer(401), 'freed'],
  ['403', answer(403), 'freed'],
  ['429', answer(429), 'freed'],
  ['408', answer(408), 'in-doubt'],
  ['500', answer(500), 'in-doubt'],
  ['501', answer(501), 'in-doubt'],
  ['503', answer(503), 'in-doubt'],
  ['507', answer(507), 'in-doubt'],
  ['502', answer(502), 'in-doubt-under-way'],
  ['504', answer(504), 'in-doubt-under-way'],
  ['a broken connection', { kind: 'network' }, 'in-doubt-under-way'],
  ['no answer within the budget', { kind: 'timeout' }, 'in-doubt-under-way'],
  ['no token (nothing sent)', { kind: 'token' }, 'freed'],
];

const METHODS: WriteMethod[] = ['POST', 'PATCH', 'DELETE'];

describe('the in-doubt rule, every method × ending', () => {
  test.each(METHODS.flatMap((method) => TABLE.map(([name, ending, fate]) => [method, name, ending, fate] as const)))(
    '%s after %s: %s',
    (method, _name, ending, fate) => {
      expect(fateOf(ending)).toBe(fate);
      // Sent again within the same call only when that can neither duplicate nor be undone by a late attempt.
      const landsLate = ending.kind === 'timeout';
      expect(mayRepeat(method, ending)).toBe(method === 'POST' ? fate === 'freed' : !landsLate);
    },
  );

  test('a GET may always be repeated', () => {
    for (const [, ending] of TABLE) expect(mayRepeat('GET', ending)).toBe(true);
  });
});

// A write that was not applied is only delayed when the same write later would go through: the app then finishes it (202).
describe('a write not applied was only delayed', () => {
  const attempt = (ending: AttemptEnding) => ({ ending, answer: undefined, sentAtMs: 0 });
  const DELAYED: [string, GraphExchange, boolean][] = [
    ['Graph throttled it to the end (429)', { attempts: [attempt(answer(429))], retryAfterMs: 1000 }, true],
    ['no budget turn within its time budget', { attempts: [], heldBack: 'no-turn-in-time', retryAfterMs: 5000 }, true],
    [
      'no time left for an attempt after a 429',
      { attempts: [attempt(answer(429))], heldBack: 'no-time-left', retryAfterMs: 1000 },
      true,
    ],
    [
      'the waiting room full (a bound on what one instance holds)',
      { attempts: [], heldBack: 'waiting-room-full', retryAfterMs: 1000 },
      false,
    ],
    ['Graph refused the permission (403)', { attempts: [attempt(answer(403))], retryAfterMs: undefined }, false],
    ['Graph refused the token (401)', { attempts: [attempt(answer(401))], retryAfterMs: undefined }, false],
    ['no token for Graph', { attempts: [attempt({ kind: 'token' })], retryAfterMs: undefined }, false],
  ];

  test.each(DELAYED)('%s: delayed %s', (_name, exchange, delayed) => {
    expect(wasOnlyDelayed(exchange)).toBe(delayed);
    expect(settlementOf('PATCH', exchange, undefined, 100_000, 0)).toEqual(
      delayed ? { kind: 'freed', delayedUntilMs: exchange.retryAfterMs } : { kind: 'freed' },
    );
  });
});
