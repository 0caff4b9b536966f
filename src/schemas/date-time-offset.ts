/**
 * Edm.DateTimeOffset as Graph parses it (.NET DateTimeOffset): `yyyy-MM-ddTHH:mm:ss[.f{1,7}]`
 * then `Z` or `±hh:mm`, a real calendar date (29 February in leap years only), year 0001 to
 * 9999, hour 00 to 23, an offset within ±14:00.
 */

const NOT_YEAR_ZERO = '(?!0000)';
const COMMON_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
// Divisible by 4 and not by 100, or by 400.
const LEAP_YEAR = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const DATE = `${NOT_YEAR_ZERO}(?:\\d{4}-${COMMON_DAY}|${LEAP_YEAR}-02-29)`;
const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,7})?';
const OFFSET = '(?:Z|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))';

/** The whole rule as one regular expression, so that it travels into JSON Schema as a `pattern`. */
export const DATE_TIME_OFFSET = new RegExp(`^${DATE}T${TIME}${OFFSET}$`);

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-](\d{2}):(\d{2}))?$/;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number) =>
  [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;

/** What is wrong with a timestamp Graph would refuse, in words; undefined when Graph takes it. */
export function dateTimeOffsetProblem(value: string): string | undefined {
  if (DATE_TIME_OFFSET.test(value)) return undefined;
  const parts = SHAPE.exec(value);
  if (!parts) return 'must be yyyy-MM-ddTHH:mm:ss, up to 7 fraction digits, then Z or an offset ±hh:mm';
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, zone, offsetHours, offsetMinutes] = parts;
  const [year, month, day] = [Number(yearText), Number(monthText), Number(dayText)];
  if (year === 0) return 'has year 0000; years run from 0001 to 9999';
  if (month < 1 || month > 12) return `has month ${monthText}; months run from 01 to 12`;
  if (day < 1 || day > daysIn(year, month)) {
    return month === 2 && day === 29
      ? `is 29 February of ${yearText}, which is not a leap year`
      : `has day ${dayText}, which month ${monthText} of ${yearText} does not have`;
  }
  if (Number(hourText) > 23) return `has hour ${hourText}; hours run from 00 to 23`;
  if (Number(minuteText) > 59 || Number(secondText) > 59) return 'has minutes or seconds past 59';
  if (fraction !== undefined && fraction.length > 7) return `has ${fraction.length} fraction digits; at most 7`;
  if (zone === undefined) return 'has no offset; end it with Z or ±hh:mm';
  if (Number(offsetMinutes) > 59 || Number(offsetHours) * 60 + Number(offsetMinutes) > 14 * 60)
    return `has offset ${zone}; offsets run from -14:00 to +14:00`;
  return 'is not a timestamp Graph accepts';
}
