import * as v from 'valibot';

import type { BudgetOptions } from './budget';
import { GRAPH_CLOUD_NAMES, type GraphCloudName, graphEndpoints } from './graph/clouds';
import type { GraphGatewayOptions } from './graph/gateway';
import type { OnBehalfOfOptions } from './graph/on-behalf-of';
import type { IdempotencyOptions } from './idempotency';
import { CALLER_AUTH_MODES, type CallerAuthMode } from './identity/caller-roles';
import type { IdentityOptions } from './identity/credential';
import { USER_IDENTITY_USES, type UserIdentityUse } from './operations/graph-identity';
import type { OperationOptions } from './operations/pipeline';
import { DEFAULT_WRITE_QUEUE_NAME } from './operations/write-queue';
import { queueConnection, tableConnection } from './storage/connection-settings';
import type { QueueConnection } from './storage/queue-client';
import type { TableConnection } from './storage/table-client';
import type { TelemetryOptions } from './telemetry/setup';

/**
 * The app's settings, as each module's own options: config.ts only maps app settings (Azure) or
 * the environment (local runs) onto them, validated.
 */
export interface Settings {
  readonly graph: GraphSettings;
  readonly identity: IdentityOptions;
  /** The app's table service (its own storage account, or Azurite); unset keeps everything in memory. */
  readonly tables: TableConnection | undefined;
  /**
   * The app's queue service, for writes the app finishes itself (202 Accepted). Unset, writes are
   * only synchronous: a `respond-async` preference is not applied.
   */
  readonly queues: QueueConnection | undefined;
  /** The queue of writes the app finishes itself; the Functions host moves failed messages to `<name>-poison`. */
  readonly writeQueueName: string;
  readonly idempotency: IdempotencyOptions;
  readonly budget: BudgetOptions;
  readonly operations: OperationOptions;
  /** How callers prove who they are: a function key, an Entra ID token with an app role, or either. */
  readonly callerAuth: CallerAuthMode;
  /** App Service Authentication runs in front of the app (WEBSITE_AUTH_ENABLED, set by the platform): only then is a principal trusted. */
  readonly platformAuthentication: boolean;
  /** When a signed-in user's calls go to Graph as the user, and the API registration that exchanges their tokens. */
  readonly graphIdentities: { readonly use: UserIdentityUse; readonly onBehalfOf: OnBehalfOfOptions | undefined };
  /** Where telemetry goes; the credential is the app's own, given by the composition root. */
  readonly telemetry: Omit<TelemetryOptions, 'credential'>;
}

/** The Graph cloud the app calls, and where. */
export interface GraphSettings extends GraphGatewayOptions {
  readonly cloud: GraphCloudName;
  /** Set when GRAPH_BASE_URL points the facade at another Graph root, such as the local emulator. */
  readonly rootOverridden: boolean;
}

const emptyAsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EnvironmentSchema = v.object({
  CALLER_AUTH: v.optional(
    v.picklist(CALLER_AUTH_MODES, `CALLER_AUTH must be one of ${CALLER_AUTH_MODES.join(', ')}`),
    'function-key',
  ),
  GRAPH_CLOUD: v.optional(v.picklist(GRAPH_CLOUD_NAMES, `GRAPH_CLOUD must be one of ${GRAPH_CLOUD_NAMES.join(', ')}`), 'Global'),
  GRAPH_BASE_URL: v.optional(httpsUrl('GRAPH_BASE_URL', ': the Graph client attaches tokens to https URLs only')),
  AZURE_CLIENT_ID: v.optional(guid('AZURE_CLIENT_ID', 'a client id')),
  // On-Behalf-Of: the API app registration (its client id and tenant), and the authority to ask.
  API_CLIENT_ID: v.optional(guid('API_CLIENT_ID', 'a client id')),
  AZURE_TENANT_ID: v.optional(guid('AZURE_TENANT_ID', 'a tenant id')),
  ENTRA_AUTHORITY_HOST: v.optional(httpsUrl('ENTRA_AUTHORITY_HOST', '')),
  GRAPH_USER_IDENTITY: v.optional(
    v.picklist(USER_IDENTITY_USES, `GRAPH_USER_IDENTITY must be one of ${USER_IDENTITY_USES.join(', ')}`),
    'where-required',
  ),
  IDENTITY_ENDPOINT: v.optional(v.string()),
  IDENTITY_HEADER: v.optional(v.string()),
  // At least 3 s: a write is never started with less than 2 s left for Graph to answer it.
  GRAPH_TIME_BUDGET_SECONDS: v.optional(wholeNumber('GRAPH_TIME_BUDGET_SECONDS', 3, 110), '30'),
  GRAPH_IN_DOUBT_WINDOW_SECONDS: v.optional(wholeNumber('GRAPH_IN_DOUBT_WINDOW_SECONDS', 1, 600), '100'),
  GRAPH_BUDGET: v.optional(v.picklist(['shared', 'per-instance', 'off'], 'GRAPH_BUDGET must be shared, per-instance or off')),
  // Intune allows 100 writes and 1000 requests (writes included) per 20 s per app per tenant.
  // The defaults leave a margin: at most 95 + 4 writes in any 20 s, and reads stay far below.
  GRAPH_WRITES_PER_20S: v.optional(wholeNumber('GRAPH_WRITES_PER_20S', 1, 100), '95'),
  GRAPH_WRITE_BURST: v.optional(wholeNumber('GRAPH_WRITE_BURST', 1, 100), '4'),
  GRAPH_READS_PER_20S: v.optional(wholeNumber('GRAPH_READS_PER_20S', 1, 1000), '800'),
  GRAPH_READ_BURST: v.optional(wholeNumber('GRAPH_READ_BURST', 1, 1000), '40'),
  GRAPH_MAX_INSTANCES: v.optional(wholeNumber('GRAPH_MAX_INSTANCES', 1, 1000), '40'),
  // Below the Bicep's 100 HTTP requests per instance: waiting calls never take all of them.
  GRAPH_MAX_WAITING_PER_INSTANCE: v.optional(wholeNumber('GRAPH_MAX_WAITING_PER_INSTANCE', 1, 1000), '32'),
  // The Bicep's 100 HTTP requests per instance: calls beyond it are refused at once, not held.
  MAX_CALLS_PER_INSTANCE: v.optional(wholeNumber('MAX_CALLS_PER_INSTANCE', 1, 10000), '80'),
  DIAGNOSTICS_CACHE_SECONDS: v.optional(wholeNumber('DIAGNOSTICS_CACHE_SECONDS', 0, 3600), '30'),
  GRAPH_BUDGET_TABLE_NAME: v.optional(tableName('GRAPH_BUDGET_TABLE_NAME'), 'graphbudget'),
  IDEMPOTENCY_TABLE_NAME: v.optional(tableName('IDEMPOTENCY_TABLE_NAME'), 'idempotencykeys'),
  IdempotencyStorage: v.optional(v.string()),
  OPERATIONS_TABLE_NAME: v.optional(tableName('OPERATIONS_TABLE_NAME'), 'writeoperations'),
  WRITE_QUEUE_NAME: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^[a-z0-9](?!.*--)[a-z0-9-]{1,48}[a-z0-9]$/,
        'WRITE_QUEUE_NAME must be a queue name: 3 to 50 lower-case letters, digits and single hyphens, starting and ending with a letter or digit',
      ),
    ),
    DEFAULT_WRITE_QUEUE_NAME,
  ),
  IdempotencyStorage__queueServiceUri: v.optional(
    v.pipe(v.string(), v.url('IdempotencyStorage__queueServiceUri must be an absolute URL')),
  ),
  IdempotencyStorage__tableServiceUri: v.optional(
    v.pipe(v.string(), v.url('IdempotencyStorage__tableServiceUri must be an absolute URL')),
  ),
  APPLICATIONINSIGHTS_CONNECTION_STRING: v.optional(v.string()),
  TELEMETRY_FILE: v.optional(v.string()),
  TELEMETRY_SUCCESS_SAMPLE_PERCENT: v.optional(wholeNumber('TELEMETRY_SUCCESS_SAMPLE_PERCENT', 0, 100), '100'),
  WEBSITE_SITE_NAME: v.optional(v.string()),
  WEBSITE_AUTH_ENABLED: v.optional(v.string()),
  IdempotencyStorage__clientId: v.optional(guid('IdempotencyStorage__clientId', 'a client id')),
});

/** An Entra id setting: a GUID. */
function guid(name: string, what: string) {
  return v.pipe(v.string(), v.regex(GUID, `${name} must be ${what} (a GUID)`));
}

/** An absolute https URL setting; `why` ends the message. */
function httpsUrl(name: string, why: string) {
  return v.pipe(v.string(), v.url(`${name} must be an absolute URL`), v.startsWith('https://', `${name} must use https${why}`));
}

/** A table name setting: a letter, then 2 to 62 letters or digits. */
function tableName(name: string) {
  return v.pipe(
    v.string(),
    v.regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, `${name} must be a table name: a letter, then 2 to 62 letters or digits`),
  );
}

/** A whole number setting from `min` to `max`. */
function wholeNumber(name: string, min: number, max: number) {
  const message = `${name} must be a whole number from ${min} to ${max}`;
  return v.pipe(
    v.string(),
    v.regex(/^\d{1,6}$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

/** Raised when a setting is invalid; the message names each setting and what it accepts. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads and validates the settings; throws SettingsError naming every bad setting. */
export function loadSettings(environment: Readonly<Record<string, string | undefined>>): Settings {
  const relevant = Object.fromEntries(
    Object.keys(EnvironmentSchema.entries).map((name) => [name, emptyAsUnset(environment[name])]),
  );
  const parsed = v.safeParse(EnvironmentSchema, relevant, { abortEarly: false });
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => issue.message);
    throw new SettingsError(`Invalid settings for intune-status-facade: ${problems.join('; ')}`);
  }
  const env = parsed.output;
  const tables = tableConnection(env);
  // What the budget lets through in the worst 20 s (the rate plus a full burst) must fit Intune's limits.
  const writesAtMost = env.GRAPH_WRITES_PER_20S + env.GRAPH_WRITE_BURST;
  const requestsAtMost = writesAtMost + env.GRAPH_READS_PER_20S + env.GRAPH_READ_BURST;
  if (writesAtMost > 100 || requestsAtMost > 1000) {
    throw new SettingsError(
      `Invalid settings for intune-status-facade: the Graph budget allows ${writesAtMost} writes and ${requestsAtMost} requests in 20 s at most; Intune allows 100 writes and 1000 requests per app (GRAPH_WRITES_PER_20S + GRAPH_WRITE_BURST <= 100; with GRAPH_READS_PER_20S + GRAPH_READ_BURST, <= 1000)`,
    );
  }
  if (env.GRAPH_BUDGET === 'shared' && !tables) {
    throw new SettingsError(
      'Invalid settings for intune-status-facade: GRAPH_BUDGET=shared needs a table service (IdempotencyStorage__tableServiceUri or IdempotencyStorage)',
    );
  }
  const endpoints = graphEndpoints(env.GRAPH_CLOUD, env.GRAPH_BASE_URL);
  const onBehalfOf: OnBehalfOfOptions | undefined =
    env.API_CLIENT_ID && env.AZURE_TENANT_ID
      ? {
          tenantId: env.AZURE_TENANT_ID,
          apiClientId: env.API_CLIENT_ID,
          authorityHost: (env.ENTRA_AUTHORITY_HOST ?? endpoints.authorityHost).replace(/\/+$/, ''),
          graphScope: endpoints.scope,
          assertionScope: endpoints.tokenExchangeScope,
        }
      : undefined;
  if (env.GRAPH_USER_IDENTITY === 'whenever-signed-in' && !onBehalfOf) {
    throw new SettingsError(
      "Invalid settings for intune-status-facade: GRAPH_USER_IDENTITY=whenever-signed-in needs API_CLIENT_ID and AZURE_TENANT_ID (the API app registration that exchanges users' tokens)",
    );
  }
  return {
    graph: {
      cloud: env.GRAPH_CLOUD,
      graphRoot: endpoints.graphRoot,
      scope: endpoints.scope,
      rootOverridden: env.GRAPH_BASE_URL !== undefined,
      maxWaitingCalls: env.GRAPH_MAX_WAITING_PER_INSTANCE,
    },
    identity: {
      managedIdentityAvailable: Boolean(env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER),
      managedIdentityClientId: env.AZURE_CLIENT_ID,
      authorityHost: endpoints.authorityHost,
    },
    tables,
    queues: queueConnection(env),
    writeQueueName: env.WRITE_QUEUE_NAME,
    idempotency: { tableName: env.IDEMPOTENCY_TABLE_NAME, operationsTableName: env.OPERATIONS_TABLE_NAME },
    budget: {
      // Shared wherever the app has a table service: the limit is the app's, not an instance's.
      mode: env.GRAPH_BUDGET ?? (tables ? 'shared' : 'per-instance'),
      writes: { requestsPer20Seconds: env.GRAPH_WRITES_PER_20S, burst: env.GRAPH_WRITE_BURST },
      reads: { requestsPer20Seconds: env.GRAPH_READS_PER_20S, burst: env.GRAPH_READ_BURST },
      instanceCap: env.GRAPH_MAX_INSTANCES,
      tableName: env.GRAPH_BUDGET_TABLE_NAME,
    },
    operations: {
      timeBudgetMs: env.GRAPH_TIME_BUDGET_SECONDS * 1000,
      inDoubtWindowMs: env.GRAPH_IN_DOUBT_WINDOW_SECONDS * 1000,
      maxCallsInFlight: env.MAX_CALLS_PER_INSTANCE,
      diagnosticsCacheMs: env.DIAGNOSTICS_CACHE_SECONDS * 1000,
    },
    callerAuth: env.CALLER_AUTH,
    platformAuthentication: env.WEBSITE_AUTH_ENABLED?.toLowerCase() === 'true',
    graphIdentities: { use: env.GRAPH_USER_IDENTITY, onBehalfOf },
    telemetry: {
      connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
      filePath: env.TELEMETRY_FILE,
      successSamplePercent: env.TELEMETRY_SUCCESS_SAMPLE_PERCENT,
      serviceName: env.WEBSITE_SITE_NAME ?? 'intune-status-facade',
    },
  };
}
