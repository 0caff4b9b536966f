import { randomBytes } from 'node:crypto';

/** W3C trace context: version 00, a 32-hex trace id and a 16-hex parent id (neither all zeros), 2-hex flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace context the Functions host hands an invocation (`InvocationContext.traceContext`). */
export interface InvocationTraceContext {
  readonly traceParent: string;
  readonly traceState?: string;
}

/**
 * The trace context of one invocation, as the Functions host makes it: its own span for the
 * request, a child of the caller's `traceparent` when that is valid (same trace, same flags),
 * otherwise the root of a new trace.
 */
export function invocationTraceContext(traceparent?: string | null, tracestate?: string | null): InvocationTraceContext {
  const spanId = randomBytes(8).toString('hex');
  const caller = TRACEPARENT.exec(traceparent?.trim().toLowerCase() ?? '');
  const [traceId, parentId] = [caller?.[1], caller?.[2]];
  if (caller && !/^0+$/.test(traceId as string) && !/^0+$/.test(parentId as string)) {
    return { traceParent: `00-${traceId}-${spanId}-${caller[3]}`, ...(tracestate ? { traceState: tracestate } : {}) };
  }
  return { traceParent: `00-${randomBytes(16).toString('hex')}-${spanId}-01` };
}
