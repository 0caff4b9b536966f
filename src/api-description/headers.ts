import type { HeaderDescription } from './model';

/** The headers answers carry, described once for every response that carries them. */

export const CORRELATION_HEADER: HeaderDescription = {
  name: 'client-request-id',
  description: "The call's correlation id: yours, or the one the facade made.",
  schema: { type: 'string' },
};
export const GRAPH_REQUEST_HEADER: HeaderDescription = {
  name: 'x-graph-request-id',
  description: "Graph's request id, when Graph answered; quote it to Microsoft support.",
  schema: { type: 'string' },
};
export const REPLAYED_HEADER: HeaderDescription = {
  name: 'Idempotent-Replayed',
  description: '`true` when the answer is that of an earlier attempt with the same Idempotency-Key.',
  schema: { type: 'string' },
};
export const RETRY_AFTER_HEADER: HeaderDescription = {
  name: 'Retry-After',
  description: 'Seconds to wait before sending the request again, when it may be sent again.',
  schema: { type: 'integer', minimum: 1 },
};
export const LOCATION_HEADER: HeaderDescription = {
  name: 'Location',
  description: 'The facade URL of the new entity.',
  schema: { type: 'string', format: 'uri' },
};

export const OPERATION_LOCATION_HEADER: HeaderDescription = {
  name: 'Location',
  description: "The write's operation: poll it (after Retry-After) until it answers other than 202.",
  schema: { type: 'string', format: 'uri' },
};
export const POLL_AFTER_HEADER: HeaderDescription = {
  name: 'Retry-After',
  description: 'Seconds to wait before polling the Location.',
  schema: { type: 'integer', minimum: 1 },
};
export const PREFERENCE_APPLIED_HEADER: HeaderDescription = {
  name: 'Preference-Applied',
  description: '`respond-async` when the write was accepted because `Prefer: respond-async` asked for it.',
  schema: { type: 'string' },
};
