/**
 * Which telemetry is exported. A failure always is; of the rest, the share the setting asks for,
 * decided by trace id so that a call's record and its dependencies are kept or dropped together.
 * The decision is the app's own, made when the outcome is known: a sampler at the start of a span
 * could not keep every failure, and one that follows the caller's `traceparent` flags would drop
 * calls the caller did not sample.
 */
export function isKept(failed: boolean, traceId: string, successPercent: number): boolean {
  if (failed || successPercent >= 100) return true;
  if (successPercent <= 0) return false;
  // The trace id's last 8 hex digits, spread evenly over 0..1: the same id always gives the same answer.
  const spread = Number.parseInt(traceId.slice(-8), 16) / 0x1_0000_0000;
  return Number.isFinite(spread) && spread < successPercent / 100;
}
