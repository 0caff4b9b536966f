import { app } from '@azure/functions';
import { loadSettings } from './config';
import { facadeFunctions } from './functions';
import { createCredential } from './graph/credential';
import { createGraphGateway } from './graph/gateway';

// Entry point named by package.json `main`: the Functions host (and the local host in dev/)
// load this file, and every function of the app is registered here, from the catalog.
const settings = loadSettings(process.env);
const graph = createGraphGateway(settings, createCredential(settings));

for (const fn of facadeFunctions(settings, graph)) {
  app.http(fn.name, { route: fn.route, methods: [...fn.methods], authLevel: fn.authLevel, handler: fn.handler });
}
