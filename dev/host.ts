import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { HttpRequest, HttpResponse, type HttpResponseInit, InvocationContext } from '@azure/functions';

import { ROUTE_PREFIX } from '../src/catalog/operations';
import {
  type InvocationHooks,
  loadFunctionApp,
  type RegisteredHttpFunction,
  type RegisteredQueueFunction,
} from './functions-runtime';
import {
  appServiceAuth,
  appServiceAuthFromEnvironment,
  type AppServiceAuthOptions,
  PRINCIPAL_HEADERS,
} from './local-host/app-service-auth';
import { type RunningQueueFunctions, startQueueFunctions } from './local-host/queue-functions';
import { queueOptionsOf } from './local-host/queue-options';
import { writeRequestLine } from './local-host/request-telemetry';
import { requestTimes } from './local-host/request-times';
import { findRoute, pathUnderPrefix, registrationConflicts, routingOrder } from './local-host/routing';
import { invocationTraceContext } from './local-host/trace-context';

export { findRoute, routingOrder };

/**
 * The request's headers as the app gets them. Where App Service Authentication runs, a principal
 * header a caller sent is dropped (only the platform sets those); without it, as on the platform,
 * they pass through, and the app must not trust them.
 */
function headersOf(request: IncomingMessage, dropPrincipal = false): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || (dropPrincipal && PRINCIPAL_HEADERS.test(name))) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Log lines waiting to be written, per stream. The Functions worker ships logs to the host
 * asynchronously; a write to a pipe is synchronous in Node on Linux, so one write per line would
 * make logging cost the stand-in more than it costs the app in Azure. Lines go out together,
 * once per turn of the event loop, in order.
 */
const pendingLines = { out: [] as string[], err: [] as string[] };
let flushScheduled = false;

function flushLogs(): void {
  flushScheduled = false;
  if (pendingLines.out.length > 0) process.stdout.write(`${pendingLines.out.splice(0).join('\n')}\n`);
  if (pendingLines.err.length > 0) process.stderr.write(`${pendingLines.err.splice(0).join('\n')}\n`);
}

/**
 * The log handler of one invocation: each line is printed, and given to the app's log hooks
 * (`app.hook.log`) with the invocation's context once it exists, as the worker does.
 */
function log(functionName: string, invocationId: string, hooks?: InvocationHooks, invocation?: () => InvocationContext) {
  return (level: string, ...args: unknown[]) => {
    const message = args.map(String).join(' ');
    hooks?.logged(level, message, invocation?.());
    const line = `[${new Date().toISOString()}] ${level.padEnd(11)} ${functionName} (${invocationId}): ${message}`;
    (level === 'error' || level === 'warning' ? pendingLines.err : pendingLines.out).push(line);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushLogs);
    }
  };
}

async function writeResponse(
  result: HttpResponseInit | HttpResponse | undefined,
  response: ServerResponse,
  method: string,
): Promise<void> {
  const answer = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
  const body = Buffer.from(await answer.arrayBuffer());
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  response.end(method === 'HEAD' ? undefined : body);
}

/**
 * The request body as a web stream. Cancelled by a handler that has read enough, it drains the
 * rest unread instead of destroying the socket, so that the client still reads the answer.
 */
function bodyStream(request: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  const finish = (settle: () => void) => {
    if (!open) return;
    open = false;
    settle();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      request.on('data', (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 1) <= 0) request.pause();
      });
      request.on('end', () => finish(() => controller.close()));
      request.on('error', (error) => finish(() => controller.error(error)));
      request.on('close', () => {
        if (!request.complete)
          finish(() => controller.error(new Error('the client closed the connection before the body ended')));
      });
    },
    pull() {
      request.resume();
    },
    cancel() {
      open = false;
      request.resume();
    },
  });
}

export interface LocalHostOptions {
  /**
   * The origin the app is reached at, for the URLs its answers carry (Location, nextLink). By
   * default the host's own address; never the request's Host header, which the caller controls.
   */
  readonly publicBaseUrl?: string;
  /**
   * The app's queue-triggered functions, listed at /admin/functions beside the HTTP ones; their
   * listeners run apart (local-host/queue-functions.ts).
   */
  readonly queueFunctions?: readonly RegisteredQueueFunction[];
  /** The app's invocation hooks, for its log hooks (the handlers already run the others). */
  readonly hooks?: InvocationHooks;
  /** The app's telemetry file (TELEMETRY_FILE), where the host adds its request rows. */
  readonly telemetryFile?: string;
  /** App Service Authentication in front of the app (local-host/app-service-auth.ts); unset, none. */
  readonly authentication?: AppServiceAuthOptions;
}

/** Raised when the app's registrations are ones the Functions host would not serve as written. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

/** Serves registered functions over node:http under `/api`, the way `func start` does. */
export function createLocalHost(functions: readonly RegisteredHttpFunction[], options: LocalHostOptions = {}): Server {
  const conflicts = registrationConflicts(functions);
  if (conflicts.length > 0) throw new RegistrationError(`Functions overlap in route and method: ${conflicts.join('; ')}`);
  const ordered = routingOrder(functions);
  const times = requestTimes();
  const authentication = options.authentication ? appServiceAuth(options.authentication) : undefined;
  // Known once the server listens; read on every request, so kept rather than asked of the socket each time.
  let listeningOrigin: string | undefined;
  const origin = () =>
    options.publicBaseUrl ?? (listeningOrigin ??= `http://localhost:${(server.address() as AddressInfo).port}`);
  const server = createServer((request, response) => {
    void serve(request, response).catch((error: unknown) => {
      // Whatever went wrong belongs to this one connection (a client gone mid-body, a header the
      // fetch API refuses): it is answered or closed, and the host goes on serving the others.
      console.error(`request failed: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(400, { connection: 'close' }).end();
      else response.destroy();
    });
  });
  return server;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    {
      const method = (request.method ?? 'GET').toUpperCase();
      // The request target is a path; a full URL in it (absolute-form) must not pick the origin either.
      const target = new URL(request.url ?? '/', 'http://placeholder');
      // Path and query are set on the host's own origin one by one: a path such as `//evil.example/`
      // must stay a path, never become another origin.
      const url = new URL(origin());
      url.pathname = target.pathname;
      url.search = target.search;
      if (url.pathname === '/admin/functions' && method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify([
            ...functions.map(({ name, route, methods, authLevel }) => ({
              name,
              trigger: 'httpTrigger',
              route,
              methods,
              authLevel,
            })),
            ...(options.queueFunctions ?? []).map(({ name, queueName, connection }) => ({
              name,
              trigger: 'queueTrigger',
              queueName,
              connection,
            })),
          ]),
        );
        return;
      }
      // The requests this instance held and for how long (local-host/request-times.ts): what load runs measure.
      if (url.pathname === '/admin/host/requests' && method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(times.list()));
        return;
      }
      const path = pathUnderPrefix(url.pathname, ROUTE_PREFIX);
      const match = path === undefined ? undefined : findRoute(ordered, method, path);
      if (!match) {
        response.writeHead(404).end();
        return;
      }
      response.once('close', times.arrived());
      // App Service Authentication answers before the app: 401 without a valid token (outside the excluded paths).
      const admission = authentication
        ? await authentication.admit(url.pathname, request.headers.authorization ?? null)
        : undefined;
      if (admission && !admission.ok) {
        response.writeHead(admission.status, admission.headers).end();
        return;
      }
      const invocationId = randomUUID();
      // The body is handed over as a stream, as the Functions host does with HTTP streams: the
      // handler reads what it accepts and no more, so an oversized body is never buffered here.
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const nativeRequest = new Request(url, {
        method,
        headers: { ...headersOf(request, authentication !== undefined), ...(admission?.principal ?? {}) },
        ...(hasBody ? { body: bodyStream(request), duplex: 'half' } : {}),
      });
      const httpRequest = new HttpRequest({
        method,
        url: url.toString(),
        query: Object.fromEntries(url.searchParams),
        params: match.params,
        nativeRequest,
      } as ConstructorParameters<typeof HttpRequest>[0]);
      // The host's own span for the request, in the caller's trace when it sent a valid traceparent.
      const callerTraceparent = nativeRequest.headers.get('traceparent');
      const traceContext = invocationTraceContext(callerTraceparent, nativeRequest.headers.get('tracestate'));
      const context: InvocationContext = new InvocationContext({
        invocationId,
        functionName: match.fn.name,
        logHandler: log(match.fn.name, invocationId, options.hooks, () => context),
        traceContext,
      });
      const startedAt = new Date();
      response.once('finish', () => {
        if (!options.telemetryFile) return;
        // A telemetry file that cannot be written costs its line, never the host.
        try {
          const continued = traceContext.traceParent.split('-')[1] === callerTraceparent?.split('-')[1];
          writeRequestLine(options.telemetryFile, {
            functionName: match.fn.name,
            traceContext,
            callerSpanId: continued ? callerTraceparent?.split('-')[2] : undefined,
            method,
            path: url.pathname,
            status: response.statusCode,
            startedAt,
            durationMs: Date.now() - startedAt.getTime(),
          });
        } catch (error) {
          console.error(`request telemetry not written: ${(error as Error).message}`);
        }
      });
      try {
        await writeResponse(await match.fn.handler(httpRequest, context), response, method);
        // A body the handler did not read (refused early) is drained unread, so that the
        // client, still sending it, reads the answer instead of a reset connection.
        if (!request.complete) {
          request.removeAllListeners('data');
          request.resume();
        }
      } catch (error) {
        context.error(`Unhandled error: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      }
    }
  }
}

/** The entry file package.json names, as the Functions host resolves it. */
export function entryFile(projectRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main: string };
  return join(projectRoot, manifest.main);
}

/**
 * Starts the listeners of the app's queue-triggered functions, with host.json `extensions.queues`
 * of the app's folder and connections from the environment (the app settings), and reports each.
 */
async function startQueueTriggers(
  functions: readonly RegisteredQueueFunction[],
  appRoot: string,
  hooks: InvocationHooks,
): Promise<RunningQueueFunctions | undefined> {
  if (functions.length === 0) return undefined;
  const { options, warnings } = queueOptionsOf(JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')));
  for (const warning of warnings) console.error(warning);
  console.log(
    `Queue options (host.json extensions.queues): batchSize ${options.batchSize}, newBatchThreshold ${options.newBatchThreshold}, ` +
      `maxPollingInterval ${options.maxPollingIntervalMs} ms, visibilityTimeout ${options.visibilityTimeoutMs} ms, ` +
      `maxDequeueCount ${options.maxDequeueCount}, messageEncoding ${options.messageEncoding}`,
  );
  // LOCAL_HOST_MESSAGE_HOLD_SECONDS shortens how long a fetched message stays invisible while its
  // function runs (renewed at half that; the Functions host holds it 10 minutes), so that a test
  // can see a killed host's messages come back within the run.
  const holdSeconds = Number(process.env.LOCAL_HOST_MESSAGE_HOLD_SECONDS);
  const listener = Number.isInteger(holdSeconds) && holdSeconds > 0 ? { processingVisibilityTimeoutMs: holdSeconds * 1000 } : {};
  const running = await startQueueFunctions(functions, {
    options,
    appSettings: process.env,
    logFor: (name, id) => log(name, id, hooks),
    listener,
  });
  for (const { level, text } of running.report) (level === 'information' ? console.log : console.error)(`Queue trigger ${text}`);
  return running;
}

async function main(): Promise<void> {
  const projectRoot = join(__dirname, '..', '..');
  // FACADE_APP_ROOT runs another function app folder (its package.json main and host.json), as
  // the Functions host runs the one its script root names. FACADE_ENTRY serves another entry file
  // the same way: the bundle, or the benchmark's bare proxy.
  const appRoot = process.env.FACADE_APP_ROOT ?? projectRoot;
  // App Service Authentication in front of the app, where configured; the platform then tells the
  // app so (WEBSITE_AUTH_ENABLED), before the app reads its settings.
  const authentication = appServiceAuthFromEnvironment(process.env);
  if (authentication) process.env.WEBSITE_AUTH_ENABLED = 'True';
  const app = loadFunctionApp(process.env.FACADE_ENTRY ?? entryFile(appRoot));
  const port = Number(process.env.PORT ?? 7071);
  const publicBaseUrl = process.env.FACADE_PUBLIC_BASE_URL?.replace(/\/+$/, '');
  const server = createLocalHost(app.http, {
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
    queueFunctions: app.queues,
    hooks: app.hooks,
    ...(process.env.TELEMETRY_FILE ? { telemetryFile: process.env.TELEMETRY_FILE } : {}),
    ...(authentication ? { authentication } : {}),
  });
  if (authentication)
    console.log(`App Service Authentication: tokens of ${authentication.issuer} for ${authentication.audiences.join(', ')}`);
  const queues = await startQueueTriggers(app.queues, appRoot, app.hooks);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  console.log(`Functions registered: ${[...app.http, ...app.queues].map((fn) => fn.name).join(', ')}`);
  console.log(`Facade listening on http://localhost:${actualPort}/${ROUTE_PREFIX}`);
  let stopping = false;
  // Stops taking requests and polling queues, lets what is in flight finish, then exits.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), queues?.stop()]).then(() => {
      flushLogs();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
