import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * Writes what the app would export as JSON lines to a file: each dependency span and each record,
 * one line each, as they end. The local stand-in for Application Insights (`npm start` names the
 * file in its banner; tests read it). Lines are appended at once, so that a reader sees a call's
 * telemetry as soon as its answer has gone out.
 */
export class JsonLinesExporter implements SpanExporter, LogRecordExporter {
  constructor(private readonly filePath: string) {
    mkdirSync(dirname(filePath), { recursive: true });
  }

  export(items: ReadableSpan[] | ReadableLogRecord[], done: (result: ExportResult) => void): void {
    try {
      const lines = (items as (ReadableSpan | ReadableLogRecord)[]).map((item) =>
        JSON.stringify(isSpan(item) ? spanLine(item) : recordLine(item)),
      );
      if (lines.length > 0) appendFileSync(this.filePath, `${lines.join('\n')}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}

// A span's context is a method; a log record's is a plain field.
const isSpan = (item: ReadableSpan | ReadableLogRecord): item is ReadableSpan => typeof item.spanContext === 'function';

function spanLine(span: ReadableSpan) {
  return {
    type: 'dependency',
    name: span.name,
    kind: SpanKind[span.kind].toLowerCase(),
    time: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    durationMs: Math.round(hrTimeToMilliseconds(span.duration)),
    success: span.status.code !== SpanStatusCode.ERROR,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
  };
}

function recordLine(log: ReadableLogRecord) {
  return {
    type: 'record',
    time: new Date(hrTimeToMilliseconds(log.hrTime)).toISOString(),
    severity: log.severityText,
    traceId: log.spanContext?.traceId,
    parentSpanId: log.spanContext?.spanId,
    attributes: log.attributes,
  };
}
