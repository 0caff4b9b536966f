import * as v from 'valibot';

import type { RateShape } from './budget/gcra';
import { GRAPH_CLOUD_NAMES, type GraphCloudEndpoints, type GraphCloudName, graphEndpoints } from './graph/clouds';

/** Settings read from app settings (Azure) or the environment (local runs). */
export interface Settings {
  readonly cloud: GraphCloudName;
  readonly endpoints: GraphCloudEndpoints;
  /** Set when GRAPH_BASE_URL points the facade at another Graph root, such as the local emulator. */
  readonly graphBaseUrlOverride: string | undefined;
  /** Client id of a user-assigned managed identity; unset means the system-assigned one. */
  readonly managedIdentityClientId: string | undefined;
  /** True where an App Service style managed identity endpoint is present (Azure, or the emulator). */
  readonly managedIdentityAvailable: boolean;
  /** How long one facade call may spend on Graph, retries and waits included. */
  readonly timeBudgetMs: number;
  /** How long after it was sent a write with no certain answer may still be under way in Graph. */
  readonly inDoubtWindowMs: number;
  /** Writes this instance sends to Graph per 20 seconds at most, and how many may go at once. */
  readonly idempotency: IdempotencySettings;
  readonly budget: BudgetSettings;
}

/** The app's Graph request budget: where it is kept, and its rates. */
export interface BudgetSettings {
  /** `shared` in Table Storage across instances; `per-instance` in memory; `off` for raw measurements only. */
  readonly mode: 'shared' | 'per-instance' | 'off';
  readonly writes: RateShape;
  readonly reads: RateShape;
  /** The most instances the app runs (the Bicep's maximumInstanceCount): an instance's share when the shared store is unreachable. */
  readonly instanceCap: number;
  readonly tableName: string;
}

/** Where Idempotency-Key records live: a table (Azure Storage or Azurite), else this instance's memory. */
export type IdempotencySettings =
  | {
      readonly kind: 'table';
      readonly tableName: string;
      readonly tableServiceUri: string;
      readonly clientId: string | undefined;
    }
  | { readonly kind: 'table'; readonly tableName: string; readonly connectionString: string }
  | { readonly kind: 'memory' };

const emptyAsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EnvironmentSchema = v.object({
  GRAPH_CLOUD: v.optional(v.picklist(GRAPH_CLOUD_NAMES, `GRAPH_CLOUD must be one of ${GRAPH_CLOUD_NAMES.join(', ')}`), 'Global'),
  GRAPH_BASE_URL: v.optional(
    v.pipe(
      v.string(),
      v.url('GRAPH_BASE_URL must be an absolute URL'),
      v.startsWith('https://', 'GRAPH_BASE_URL must use https: the Graph client attaches tokens to https URLs only'),
    ),
  ),
  AZURE_CLIENT_ID: v.optional(v.pipe(v.string(), v.regex(GUID, 'AZURE_CLIENT_ID must be a client id (a GUID)'))),
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
  GRAPH_BUDGET_TABLE_NAME: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'GRAPH_BUDGET_TABLE_NAME must be a table name: a letter, then 2 to 62 letters or digits',
      ),
    ),
    'graphbudget',
  ),
  IDEMPOTENCY_TABLE_NAME: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^[A-Za-z][A-Za-z0-9]{2,62}$/,
        'IDEMPOTENCY_TABLE_NAME must be a table name: a letter, then 2 to 62 letters or digits',
      ),
    ),
    'idempotencykeys',
  ),
  IdempotencyStorage: v.optional(v.string()),
  IdempotencyStorage__tableServiceUri: v.optional(
    v.pipe(v.string(), v.url('IdempotencyStorage__tableServiceUri must be an absolute URL')),
  ),
  IdempotencyStorage__clientId: v.optional(
    v.pipe(v.string(), v.regex(GUID, 'IdempotencyStorage__clientId must be a client id (a GUID)')),
  ),
});

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
  const idempotency = idempotencyStorage(env.IDEMPOTENCY_TABLE_NAME, env);
  // What the budget lets through in the worst 20 s (the rate plus a full burst) must fit Intune's limits.
  const writesAtMost = env.GRAPH_WRITES_PER_20S + env.GRAPH_WRITE_BURST;
  const requestsAtMost = writesAtMost + env.GRAPH_READS_PER_20S + env.GRAPH_READ_BURST;
  if (writesAtMost > 100 || requestsAtMost > 1000) {
    throw new SettingsError(
      `Invalid settings for intune-status-facade: the Graph budget allows ${writesAtMost} writes and ${requestsAtMost} requests in 20 s at most; Intune allows 100 writes and 1000 requests per app (GRAPH_WRITES_PER_20S + GRAPH_WRITE_BURST <= 100; with GRAPH_READS_PER_20S + GRAPH_READ_BURST, <= 1000)`,
    );
  }
  if (env.GRAPH_BUDGET === 'shared' && idempotency.kind !== 'table') {
    throw new SettingsError(
      'Invalid settings for intune-status-facade: GRAPH_BUDGET=shared needs a table service (IdempotencyStorage__tableServiceUri or IdempotencyStorage)',
    );
  }
  return {
    cloud: env.GRAPH_CLOUD,
    endpoints: graphEndpoints(env.GRAPH_CLOUD, env.GRAPH_BASE_URL),
    graphBaseUrlOverride: env.GRAPH_BASE_URL,
    managedIdentityClientId: env.AZURE_CLIENT_ID,
    managedIdentityAvailable: Boolean(env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER),
    timeBudgetMs: env.GRAPH_TIME_BUDGET_SECONDS * 1000,
    inDoubtWindowMs: env.GRAPH_IN_DOUBT_WINDOW_SECONDS * 1000,
    idempotency: idempotency,
    budget: {
      // Shared wherever the app has a table service: the limit is the app's, not an instance's.
      mode: env.GRAPH_BUDGET ?? (idempotency.kind === 'table' ? 'shared' : 'per-instance'),
      writes: { requestsPer20Seconds: env.GRAPH_WRITES_PER_20S, burst: env.GRAPH_WRITE_BURST },
      reads: { requestsPer20Seconds: env.GRAPH_READS_PER_20S, burst: env.GRAPH_READ_BURST },
      instanceCap: env.GRAPH_MAX_INSTANCES,
      tableName: env.GRAPH_BUDGET_TABLE_NAME,
    },
  };
}

function idempotencyStorage(
  tableName: string,
  env: { IdempotencyStorage?: string; IdempotencyStorage__tableServiceUri?: string; IdempotencyStorage__clientId?: string },
): IdempotencySettings {
  // Identity-based in Azure (the Functions convention `<name>__tableServiceUri`); a connection
  // string only for a local emulator such as Azurite.
  if (env.IdempotencyStorage__tableServiceUri) {
    return {
      kind: 'table',
      tableName,
      tableServiceUri: env.IdempotencyStorage__tableServiceUri,
      clientId: env.IdempotencyStorage__clientId,
    };
  }
  if (env.IdempotencyStorage) return { kind: 'table', tableName, connectionString: env.IdempotencyStorage };
  return { kind: 'memory' };
}
