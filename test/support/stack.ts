import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type GraphEmulator, type GraphEmulatorOptions, startGraphEmulator } from '../../dev/graph-emulator/server';
import { SEEDED_IDS } from '../../dev/graph-emulator/state';
import { startHostProcess } from '../../dev/host-process';
import { fillRoute } from '../../src/catalog/operations';
import { RESOURCES } from '../../src/catalog/resources';
import { testStorage } from './storage';

/** The facade's response, read whole. */
export interface FacadeResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on the parsed answer, whatever its shape
  readonly json: any;
}

export interface CallOptions {
  readonly body?: unknown;
  /** Raw body text, sent as is. */
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

/** One line of the telemetry file: a record (a call, a write run, ...) or a dependency span. */
export interface TelemetryLine {
  readonly type: 'record' | 'dependency';
  readonly traceId?: string;
  readonly parentSpanId?: string;
  readonly spanId?: string;
  readonly severity?: string;
  readonly name?: string;
  readonly success?: boolean;
  readonly attributes: Record<string, unknown>;
}

/** The built facade host in a child process, wired to an in-process Graph emulator. */
export interface Stack {
  readonly baseUrl: string;
  readonly emulator: GraphEmulator;
  /** Everything the host process wrote to stdout and stderr so far. */
  output(): string;
  /** The telemetry the host exported so far (its TELEMETRY_FILE, one JSON object a line). */
  telemetry(): TelemetryLine[];
  call(method: string, path: string, options?: CallOptions): Promise<FacadeResponse>;
  control(method: string, path: string, body?: unknown): Promise<Response>;
  /** The `Authorization` header of a signed-in user (the emulator's demo user unless `options` say), for stacks where users sign in. */
  asUser(options?: Record<string, unknown>): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * A stack where callers may sign in or not (CALLER_AUTH=both, App Service Authentication letting
 * calls without a token through): key callers as before, and signed-in users for the operations
 * Graph accepts only from users.
 */
export const USERS_SIGN_IN: StackOptions = {
  appServiceAuth: true,
  facadeEnvironment: { CALLER_AUTH: 'both', LOCAL_AUTH_UNAUTHENTICATED: 'allow' },
};

export interface StackOptions {
  readonly emulator?: GraphEmulatorOptions;
  /** Settings of the facade process on top of the emulator's. */
  readonly facadeEnvironment?: Record<string, string>;
  /** Idempotency records in Azurite (the default, in a table of this stack's own) or in the host's memory. */
  readonly idempotencyStore?: 'azurite' | 'memory';
  /**
   * `queue` (the default): the run's Azurite with its Queue service, so that the app finishes writes
   * it accepts or takes over; `none`: tables only, so that every write is answered in the call.
   */
  readonly writeQueue?: 'queue' | 'none';
  /** App Service Authentication in front of the host, for tokens of the emulator (callers then need one). */
  readonly appServiceAuth?: boolean;
}

/** Secrets this run handed out, for the audit of all logs at the end of the run (test/support/global-teardown.ts). */
function recordSecrets(secrets: readonly string[]): void {
  const runDirectory = process.env.FACADE_TEST_RUN_DIR;
  if (runDirectory) appendFileSync(join(runDirectory, 'secrets.txt'), secrets.map((secret) => `${secret}\n`).join(''));
}

/** The connection string with its Queue service left out: the app then has tables only. */
export const withoutQueueService = (connectionString: string): string =>
  connectionString
    .split(';')
    .filter((part) => !/^\s*QueueEndpoint\s*=/i.test(part))
    .join(';');

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await startGraphEmulator(options.emulator);
  const storage: Record<string, string> =
    options.idempotencyStore === 'memory'
      ? {}
      : {
          IdempotencyStorage: options.writeQueue === 'none' ? withoutQueueService(testStorage()) : testStorage(),
          IDEMPOTENCY_TABLE_NAME: `keys${randomBytes(6).toString('hex')}`,
          // The run's Azurite has a queue service, so the app finishes writes through a queue:
          // a queue of this stack's own, so that no other test's host takes its messages.
          WRITE_QUEUE_NAME: `writes-${randomBytes(6).toString('hex')}`,
          OPERATIONS_TABLE_NAME: `operations${randomBytes(6).toString('hex')}`,
          // The budget is the app's: each stack is an app of its own, so that test files cannot hold each other back.
          GRAPH_BUDGET_TABLE_NAME: `budget${randomBytes(6).toString('hex')}`,
        };
  // Beside the host logs, so that the secrets audit of the run reads it too.
  const telemetryFile = join(process.env.HOST_OUTPUT_DIR ?? tmpdir(), `telemetry-${randomBytes(6).toString('hex')}.jsonl`);
  const host = await startHostProcess({
    ...emulator.facadeEnvironment(),
    ...storage,
    TELEMETRY_FILE: telemetryFile,
    ...(options.appServiceAuth ? emulator.callerAuthEnvironment() : {}),
    ...options.facadeEnvironment,
  }).catch(async (error: unknown) => {
    await emulator.close();
    throw error;
  });
  const localUrl = emulator.controlUrl;
  // Callers hold a function key, as in Azure: sent on every call, it must never show up in a log.
  const functionKey = randomBytes(24).toString('base64url');
  return {
    baseUrl: host.baseUrl,
    emulator,
    output: () => host.output(),
    telemetry: () =>
      existsSync(telemetryFile)
        ? readFileSync(telemetryFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as TelemetryLine)
        : [],
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { 'x-functions-key': functionKey, ...callOptions.headers };
      let body: string | Uint8Array | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${host.baseUrl}/${path}`, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async control(method, path, body) {
      const response = await fetch(`${localUrl}/${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // A refused control call would leave a test running without its fault or setting.
      if (!response.ok)
        throw new Error(`emulator control ${method} ${path} answered ${response.status}: ${await response.text()}`);
      return response;
    },
    async asUser(tokenOptions = {}) {
      const response = await fetch(`${localUrl}/user-tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(tokenOptions),
      });
      return { authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
    },
    async stop() {
      await host.stop();
      await emulator.close();
      recordSecrets([...emulator.issuedTokens, emulator.identityHeader, functionKey]);
    },
  };
}

/** Runs `use` with a stack of its own, stopped afterwards whatever happens. */
export async function withStack<T>(options: StackOptions, use: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(options);
  try {
    return await use(stack);
  } finally {
    await stack.stop();
  }
}

/** The contract of every refusal: `status`, problem+json with the same status, a correlation id. */
export function expectProblem(answer: FacadeResponse, status: number): void {
  expect({ status: answer.status, body: answer.text.slice(0, 500) }).toMatchObject({ status });
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.json).toMatchObject({
    status,
    type: expect.stringMatching(/^urn:intune-status-facade:problem:/),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(answer.headers.get('client-request-id')).toBeTruthy();
}

/**
 * One stack for the whole test file, with the emulator reset before each test; the returned
 * function gives the running stack inside tests.
 */
export function useStack(options: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
  });
  afterAll(() => stack?.stop());
  beforeEach(async () => {
    await stack?.control('POST', 'reset');
  });
  return () => {
    if (!stack) throw new Error('the stack is not running');
    return stack;
  };
}

/** The facade path of a resource (by its noun) under the parents the emulator seeds, from the catalog. */
export function examplePath(noun: string): string {
  const resource = RESOURCES.find((candidate) => candidate.noun === noun);
  if (!resource) throw new Error(`no resource ${noun} in the catalog`);
  return fillRoute(resource.route, resource.exampleParameters);
}

/** Facade paths of the emulator's seeded parents. */
export const SEEDED_PATHS = {
  userStatusSummary: examplePath('MobileAppConfigurationUserStatusSummary'),
  userStatuses: examplePath('MobileAppConfigurationUserStatus'),
  installSummary: examplePath('MobileAppInstallSummary'),
  userStatusOverview: examplePath('DeviceCompliancePolicyUserStatusOverview'),
} as const;

/** Ids the emulator seeds. */
export { SEEDED_IDS };
export { startHostProcess } from '../../dev/host-process';
