import * as v from 'valibot';

import { isDateTimeOffset } from '../../dev/graph-emulator/model';
import { dateTimeOffsetProblem } from '../../src/schemas/date-time-offset';
import { timestamp } from '../../src/schemas/primitives';

// Each case: the text, whether .NET's DateTimeOffset (and so Graph) takes it, and for a refusal
// a word the facade's explanation must contain.
const CASES: [string, boolean, string?][] = [
  ['2016-12-31T23:58:21.6459442-08:00', true],
  ['2017-01-01T00:00:17.7769392-08:00', true],
  ['2024-02-29T00:00:00Z', true],
  ['2000-02-29T12:00:00Z', true],
  ['0001-01-01T00:00:00Z', true],
  ['9999-12-31T23:59:59.9999999Z', true],
  ['2023-06-15T08:30:00+14:00', true],
  ['2023-06-15T08:30:00-14:00', true],
  ['2023-06-15T08:30:00.1+05:30', true],
  ['2023-02-29T00:00:00Z', false, 'leap year'],
  ['1900-02-29T00:00:00Z', false, 'leap year'],
  ['2100-02-29T00:00:00Z', false, 'leap year'],
  ['2023-04-31T00:00:00Z', false, 'day 31'],
  ['2023-02-30T00:00:00Z', false, 'day 30'],
  ['2023-13-01T00:00:00Z', false, 'month 13'],
  ['2023-00-10T00:00:00Z', false, 'month 00'],
  ['0000-01-01T00:00:00Z', false, 'year 0000'],
  ['2023-06-15T24:00:00Z', false, 'hour 24'],
  ['2023-06-15T23:60:00Z', false, 'past 59'],
  ['2023-06-15T23:59:60Z', false, 'past 59'],
  ['2023-06-15T08:30:00+14:01', false, 'offset'],
  ['2023-06-15T08:30:00+14:59', false, 'offset'],
  ['2023-06-15T08:30:00-15:00', false, 'offset'],
  ['2023-06-15T08:30:00+05:60', false, 'offset'],
  ['2023-06-15T08:30:00.12345678Z', false, 'fraction digits'],
  ['2023-06-15T08:30:00', false, 'no offset'],
  ['2023-06-15 08:30:00Z', false, 'yyyy-MM-ddTHH:mm:ss'],
  ['2023-06-15T08:30:00+0530', false, 'yyyy-MM-ddTHH:mm:ss'],
  ['2023-06-15T08:30Z', false, 'yyyy-MM-ddTHH:mm:ss'],
  ['2023-6-15T08:30:00Z', false, 'yyyy-MM-ddTHH:mm:ss'],
];

describe.each(CASES)('%s', (text, accepted, word) => {
  test(`the facade ${accepted ? 'takes' : 'refuses'} it`, () => {
    expect(v.safeParse(timestamp, text).success).toBe(accepted);
    const problem = dateTimeOffsetProblem(text);
    if (accepted) expect(problem).toBeUndefined();
    else expect(problem).toContain(word);
  });

  test(`the emulator, parsing on its own, ${accepted ? 'takes' : 'refuses'} it too`, () => {
    expect(isDateTimeOffset(text)).toBe(accepted);
  });
});
