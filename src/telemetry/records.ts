import { type AnyValueMap, logs, SeverityNumber } from '@opentelemetry/api-logs';

/** How much an event matters to an operator: a warning or an error is a failure, and always exported (sampling.ts). */
export type RecordLevel = 'info' | 'warn' | 'error';

/** A record's attributes: flat, and never a body, a token or a key (each caller of `record` owns what it puts in). */
export type RecordAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** The attribute that names a record's event, e.g. `facade.call`: what queries and alerts filter on. */
export const EVENT_ATTRIBUTE = 'event';
/** Set on a record whose outcome is a failure, so that sampling keeps it whatever its level. */
export const FAILED_ATTRIBUTE = 'failed';

const SEVERITY: Record<RecordLevel, SeverityNumber> = {
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

const logger = () => logs.getLogger('intune-status-facade');

/**
 * Emits one telemetry record: an OpenTelemetry log record whose attributes an operator queries
 * (Application Insights `traces`, attributes in `customDimensions`). It belongs to the trace
 * active when it is emitted: the invocation's, so that a call's record, its dependencies and the
 * host's request row share one operation id.
 */
export function record(level: RecordLevel, event: string, attributes: RecordAttributes = {}): void {
  const defined: AnyValueMap = { [EVENT_ATTRIBUTE]: event };
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) defined[name] = value;
  logger().emit({ body: event, severityNumber: SEVERITY[level], severityText: level.toUpperCase(), attributes: defined });
}
