import * as azureFunctions from '@azure/functions';

import { createGraphBudget, diagnosticsBudget } from './budget';
import { CallerPacing } from './budget/caller-pacing';
import { CallsInFlight } from './budget/calls-in-flight';
import { CATALOG } from './catalog/operations';
import { systemClock } from './clock';
import { loadSettings, type Settings } from './config';
import { facadeFunctions, type FunctionServices, queueFunctions } from './functions/app';
import type { HealthSummary } from './functions/service-handlers';
import { createGraphGateway } from './graph/gateway';
import { OnBehalfOfTokens } from './graph/on-behalf-of';
import { createAsyncWriteStores, createIdempotencyStore, type IdempotencyStore } from './idempotency';
import { createCredential, describeCredential } from './identity/credential';
import { createTokenInspector } from './identity/token-claims';
import type { AsyncWriteDependencies } from './operations/write-queue';
import { messageQueueFor } from './storage/queue-client';
import { startTelemetry } from './telemetry/setup';

const { app } = azureFunctions;

// Entry point named by package.json `main`, and the composition root: the Functions host (and the
// local host in dev/) load this file; the settings are read, each part is made once with its own
// options, and every function of the app is registered here, from the catalog.
const settings = loadSettings(process.env);
const clock = systemClock;
const credential = createCredential(settings.identity);
// Telemetry first, so that every invocation runs in its trace; what is buffered goes out before the instance ends.
const telemetry = startTelemetry({ ...settings.telemetry, credential }, azureFunctions);
app.hook.appTerminate(() => telemetry.shutdown());
const budget = createGraphBudget(settings.budget, settings.tables, credential);
const graph = createGraphGateway(settings.graph, { credential, budget, clock });
const idempotency = createIdempotencyStore(settings.idempotency, settings.tables, credential);
const token = createTokenInspector(credential, settings.graph.scope);
// Writes the app finishes itself need a table for their records and a queue for their messages.
const async: AsyncWriteDependencies | undefined =
  settings.tables && settings.queues
    ? {
        ...createAsyncWriteStores(settings.idempotency, settings.tables, credential),
        queue: messageQueueFor(settings.queues, settings.writeQueueName, credential),
        queueName: settings.writeQueueName,
        writeSpacingMs: 20_000 / settings.budget.writes.requestsPer20Seconds,
        pacing: new CallerPacing(20_000 / settings.budget.writes.requestsPer20Seconds),
      }
    : undefined;

const graphIdentities = {
  use: settings.graphIdentities.use,
  // Signed-in users' Graph tokens, exchanged with the managed identity's token as the API's credential: no secret.
  onBehalfOf: settings.graphIdentities.onBehalfOf && new OnBehalfOfTokens(settings.graphIdentities.onBehalfOf, credential),
};

const services: FunctionServices = {
  callers: { mode: settings.callerAuth, platformAuthentication: settings.platformAuthentication },
  graphIdentities,
  operations: {
    graph,
    idempotency,
    clock,
    token,
    ...settings.operations,
    callsInFlight: new CallsInFlight(settings.operations.maxCallsInFlight ?? Number.POSITIVE_INFINITY),
    ...(async ? { async } : {}),
  },
  health: healthSummary(settings, idempotency),
  diagnostics: {
    // Its probes take turns from a share of their own (budget/index.ts), not from the callers' budget.
    graph: createGraphGateway(settings.graph, { credential, budget: diagnosticsBudget(), clock }),
    token,
    clock,
    timeBudgetMs: settings.operations.timeBudgetMs,
    cacheMs: settings.operations.diagnosticsCacheMs ?? 0,
    cloud: settings.graph.cloud,
    graphRoot: settings.graph.graphRoot,
    identities: { ...graphIdentities, usersSignIn: settings.callerAuth !== 'function-key' },
  },
};

for (const fn of facadeFunctions(services)) {
  app.http(fn.name, { route: fn.route, methods: [...fn.methods], authLevel: fn.authLevel, handler: fn.handler });
}
for (const fn of queueFunctions(services)) {
  app.storageQueue(fn.name, { queueName: fn.queueName, connection: fn.connection, handler: fn.handler });
}

// Where a managed identity exists (Azure, or the local emulator), the token and the connection are
// readied while the instance starts. Elsewhere the developer credential chain would be slow to ask.
// It starts once the entry has been loaded, so that registering the functions does not wait for it.
if (settings.identity.managedIdentityAvailable) setImmediate(() => void graph.warmUp());
// So are the stores of writes the app finishes itself: the first look at each creates its table or
// queue if missing and opens the connection, so that a burst's first writes do not pay for them.
if (async) setImmediate(() => void warmUpAsyncWriteStores(async));

async function warmUpAsyncWriteStores(stores: AsyncWriteDependencies): Promise<void> {
  await Promise.allSettled([
    stores.queue.approximateLength(),
    stores.lines.waiting('warm-up'),
    stores.operations.read('warm-up'),
  ]);
}

/** The health route's summary of the settings: origins and names only, never a path, query or credential. */
function healthSummary(settings: Settings, idempotency: IdempotencyStore): HealthSummary {
  return {
    graphCloud: settings.graph.cloud,
    graphRoot: originOf(settings.graph.graphRoot),
    graphRootOverridden: settings.graph.rootOverridden,
    credential: describeCredential(settings.identity),
    idempotencyStore: idempotency.description,
    timeBudgetSeconds: settings.operations.timeBudgetMs / 1000,
    inDoubtWindowSeconds: settings.operations.inDoubtWindowMs / 1000,
    graphBudget: {
      mode: settings.budget.mode,
      writesPer20Seconds: settings.budget.writes.requestsPer20Seconds,
      readsPer20Seconds: settings.budget.reads.requestsPer20Seconds,
      instanceCap: settings.budget.instanceCap,
    },
    operations: CATALOG.length,
  };
}

/** The scheme, host and port of a URL, nothing else. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}
