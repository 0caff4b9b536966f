import { AzureFunctionsInstrumentationESM } from '@azure/functions-opentelemetry-instrumentation';
import type { TokenCredential } from '@azure/identity';
import type * as MonitorExporterModule from '@azure/monitor-opentelemetry-exporter';
import { context, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordProcessor,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

import { JsonLinesExporter } from './json-lines-exporter';
import { KeptRecordProcessor, KeptSpanProcessor } from './kept-processors';

/** Where the app's telemetry goes, and how much of what succeeded is kept. */
export interface TelemetryOptions {
  /** Application Insights (`APPLICATIONINSIGHTS_CONNECTION_STRING`); unset, nothing is sent to Azure Monitor. */
  readonly connectionString?: string;
  /** The identity Application Insights ingestion is authenticated with: its local (key) authentication is off. */
  readonly credential: TokenCredential;
  /** A local file that receives the same telemetry as JSON lines (`npm start`, tests). */
  readonly filePath?: string;
  /** The share of successful calls' telemetry exported, 0 to 100; failures always are. */
  readonly successSamplePercent: number;
  /** The cloud role name the telemetry carries (the site's name in Azure). */
  readonly serviceName: string;
}

/** The `@azure/functions` module, as the Functions instrumentation patches it (hooks and capabilities). */
export type FunctionsModule = Parameters<AzureFunctionsInstrumentationESM['registerAzFunc']>[0];

export interface RunningTelemetry {
  /** Exports what is buffered and stops: when the instance is told to end. */
  shutdown(): Promise<void>;
}

type MonitorExporters = typeof MonitorExporterModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where Application Insights is configured
const loadMonitorExporters = (): MonitorExporters => require('@azure/monitor-opentelemetry-exporter') as MonitorExporters;

/**
 * Starts the app's OpenTelemetry: spans (the dependencies) and log records (the app's records),
 * in the context of each invocation the Functions host passes on. Every span is recorded,
 * whatever a caller's `traceparent` says (AlwaysOn, not parent-based), and the exporters get
 * what sampling keeps: every failure, a share of the rest (sampling.ts). The Functions
 * instrumentation is registered by hand, because the app is bundled: no module loader hook can
 * find `@azure/functions` inside the bundle.
 */
export function startTelemetry(options: TelemetryOptions, functions: FunctionsModule): RunningTelemetry {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const spanProcessors: SpanProcessor[] = [];
  const recordProcessors: LogRecordProcessor[] = [];
  if (options.connectionString) {
    const { AzureMonitorLogExporter, AzureMonitorTraceExporter } = loadMonitorExporters();
    const exporterOptions = { connectionString: options.connectionString, credential: options.credential };
    spanProcessors.push(new BatchSpanProcessor(new AzureMonitorTraceExporter(exporterOptions)));
    recordProcessors.push(new BatchLogRecordProcessor({ exporter: new AzureMonitorLogExporter(exporterOptions) }));
  }
  if (options.filePath) {
    const file = new JsonLinesExporter(options.filePath);
    spanProcessors.push(new SimpleSpanProcessor(file));
    recordProcessors.push(new SimpleLogRecordProcessor({ exporter: file }));
  }
  const percent = options.successSamplePercent;
  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: new AlwaysOnSampler(),
    spanProcessors: spanProcessors.map((processor) => new KeptSpanProcessor(processor, percent)),
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: recordProcessors.map((processor) => new KeptRecordProcessor(processor, percent)),
  });
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);
  registerFunctionsInstrumentation(functions, tracerProvider, loggerProvider);
  return {
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}

function registerFunctionsInstrumentation(
  functions: FunctionsModule,
  tracerProvider: BasicTracerProvider,
  loggerProvider: LoggerProvider,
): void {
  // Its module loader hooks stay off: they could not see inside the bundle.
  const instrumentation = new AzureFunctionsInstrumentationESM({ enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  instrumentation.registerAzFunc(functions);
}
