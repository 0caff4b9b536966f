import { app } from '@azure/functions';

import { createGraphBudget } from './budget';
import { loadSettings } from './config';
import { facadeFunctions } from './functions';
import { createCredential } from './graph/credential';
import { createGraphGateway } from './graph/gateway';
import { createTokenInspector } from './graph/token-claims';
import { createIdempotencyStore } from './idempotency';

// Entry point named by package.json `main`: the Functions host (and the local host in dev/)
// load this file, and every function of the app is registered here, from the catalog.
const settings = loadSettings(process.env);
const credential = createCredential(settings);
const dependencies = {
  graph: createGraphGateway(settings, credential, createGraphBudget(settings.budget, settings.idempotency, credential)),
  idempotency: createIdempotencyStore(settings.idempotency, credential),
  timeBudgetMs: settings.timeBudgetMs,
  inDoubtWindowMs: settings.inDoubtWindowMs,
  token: createTokenInspector(credential, settings.endpoints.scope),
};

for (const fn of facadeFunctions(settings, dependencies)) {
  app.http(fn.name, { route: fn.route, methods: [...fn.methods], authLevel: fn.authLevel, handler: fn.handler });
}

// Where a managed identity exists (Azure, or the local emulator), the token and the connection are
// readied while the instance starts. Elsewhere the developer credential chain would be slow to ask.
// It starts once the entry has been loaded, so that registering the functions does not wait for it.
if (settings.managedIdentityAvailable) setImmediate(() => void dependencies.graph.warmUp());
