/**
 * The correlation ids callers send, as record attributes: the header each comes from, and the
 * attribute it becomes. Logic Apps sends the workflow headers and the tracking ids (Standard adds
 * `traceparent`); Power Automate sends the workflow headers too. Only these named headers are
 * read, so that nothing else a caller sends (a key, a token) can reach a record.
 */
export const CALLER_CORRELATION_HEADERS = {
  'client-request-id': 'caller.client_request_id',
  'x-ms-client-request-id': 'caller.ms_client_request_id',
  'x-ms-workflow-id': 'caller.workflow_id',
  'x-ms-workflow-name': 'caller.workflow_name',
  'x-ms-workflow-run-id': 'caller.workflow_run_id',
  'x-ms-workflow-run-tracking-id': 'caller.workflow_run_tracking_id',
  'x-ms-workflow-operation-name': 'caller.workflow_operation_name',
  'x-ms-client-tracking-id': 'caller.client_tracking_id',
  'x-ms-tracking-id': 'caller.tracking_id',
  'x-ms-correlation-id': 'caller.correlation_id',
  traceparent: 'caller.traceparent',
} as const;

/** Longer values are cut: a correlation id is an id, and a record must stay small whatever a caller sends. */
const MAX_VALUE_LENGTH = 200;

/** Printable ASCII only: anything else in a header is not an id, and must not reach a query or a log line as is. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/** The caller's correlation ids present in `headers`, as attributes; a value that is not printable is left out. */
export function callerCorrelationOf(headers: { get(name: string): string | null }): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [header, attribute] of Object.entries(CALLER_CORRELATION_HEADERS)) {
    const value = headers.get(header)?.trim();
    if (value && PRINTABLE.test(value)) attributes[attribute] = value.slice(0, MAX_VALUE_LENGTH);
  }
  return attributes;
}
