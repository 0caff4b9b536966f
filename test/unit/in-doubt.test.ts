import type { AttemptEnding } from '../../src/graph/attempt';
import { fateOf, mayRepeat, type WriteFate, type WriteMethod } from '../../src/operations/write-rules';

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
