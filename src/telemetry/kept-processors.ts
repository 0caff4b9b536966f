import { type Context, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

import { FAILED_ATTRIBUTE } from './records';
import { isKept } from './sampling';

/** Passes on to `inner` the spans sampling keeps (sampling.ts): every failed one, a share of the rest. */
export class KeptSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly successPercent: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const failed = span.status.code === SpanStatusCode.ERROR;
    if (isKept(failed, span.spanContext().traceId, this.successPercent)) this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Passes on to `inner` the records sampling keeps: every warning, error or failed outcome, a share of the rest. */
export class KeptRecordProcessor implements LogRecordProcessor {
  constructor(
    private readonly inner: LogRecordProcessor,
    private readonly successPercent: number,
  ) {}

  onEmit(logRecord: SdkLogRecord, context?: Context): void {
    const failed = (logRecord.severityNumber ?? 0) >= SeverityNumber.WARN || logRecord.attributes[FAILED_ATTRIBUTE] === true;
    // A record outside any trace has no id to decide by: it is kept.
    const traceId = logRecord.spanContext?.traceId;
    if (!traceId || isKept(failed, traceId, this.successPercent)) this.inner.onEmit(logRecord, context);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
