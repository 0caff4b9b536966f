import * as v from 'valibot';

import { DATE_TIME_OFFSET } from './date-time-offset';

/** Graph's Edm.Int32, restricted to the non-negative range every count in these entities uses. */
export const count = v.pipe(
  v.number('must be a number'),
  v.integer('must be a whole number'),
  v.minValue(0, 'must be 0 or more'),
  v.maxValue(2147483647, 'must be at most 2147483647 (Int32)'),
);

const TIMESTAMP_MESSAGE = 'must be an ISO 8601 date and time with Z or an offset, like 2016-12-31T23:58:21.6459442-08:00';

/** Graph's Edm.DateTimeOffset, as .NET parses it (date-time-offset.ts); a failing value is explained by `dateTimeOffsetProblem`. */
export const timestamp = v.pipe(
  v.string('must be a string'),
  v.isoTimestamp(TIMESTAMP_MESSAGE),
  v.regex(DATE_TIME_OFFSET, TIMESTAMP_MESSAGE),
);

/** Free text as Graph types it (Edm.String), nullable, with a length limit far above any real value. */
export const nullableText = v.nullable(
  v.pipe(v.string('must be a string or null'), v.maxLength(1024, 'must be at most 1024 characters')),
);

export const COMPLIANCE_STATUSES = [
  'unknown',
  'notApplicable',
  'compliant',
  'remediated',
  'nonCompliant',
  'error',
  'conflict',
  'notAssigned',
] as const;

/** Graph's complianceStatus enumeration (identical in v1.0 and beta). The Graph emulator lists it again, on purpose: its model is written independently, to catch mistakes here. */
export const complianceStatus = v.picklist(COMPLIANCE_STATUSES, `must be one of ${COMPLIANCE_STATUSES.join(', ')}`);

/**
 * An id taken from the URL path. Graph ids for these entities are GUIDs or GUID-like keys joined
 * with `_`; the character set excludes everything that could change the Graph URL (`/ ? # %` and
 * dot segments), so a valid id is always exactly one path segment.
 */
export const pathId = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/,
    'must be an id of letters, digits, - _ and . (at most 200 characters, starting with a letter or digit)',
  ),
);
