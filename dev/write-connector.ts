import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CONNECTOR_FOLDER, connectorFiles } from './connector';

/**
 * `npm run connector` writes the Power Platform custom connector into connector/ (the committed
 * copy names a placeholder host); `npm run connector -- --host my-app.azurewebsites.net --out dir`
 * writes one for a deployed app, ready for `paconn create`.
 */
const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    out: { type: 'string' },
    auth: { type: 'string', default: 'function-key' },
    'client-id': { type: 'string' },
    resource: { type: 'string' },
    tenant: { type: 'string' },
  },
});
if (values.auth !== 'function-key' && values.auth !== 'entra') {
  console.error(`--auth must be function-key or entra (got ${JSON.stringify(values.auth)})`);
  process.exit(2);
}
// Swagger 2.0's `host`: a name or address and an optional port, nothing else (no scheme, no path).
if (values.host !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(values.host)) {
  console.error(`--host must be a host name such as my-app.azurewebsites.net (got ${JSON.stringify(values.host)})`);
  process.exit(2);
}
const folder = values.out ?? join(__dirname, '..', '..', CONNECTOR_FOLDER);
mkdirSync(folder, { recursive: true });
// With --auth entra: the connector's client, the API's identifier URI and the tenant, or placeholders to fill in.
const signIn =
  values.auth === 'entra'
    ? {
        clientId: values['client-id'] ?? '00000000-0000-0000-0000-000000000000',
        resourceUri: values.resource ?? 'api://<tenant id>/intune-status-facade-<token>',
        tenantId: values.tenant ?? '<tenant id>',
      }
    : undefined;
for (const [name, content] of Object.entries(connectorFiles(values.host, signIn))) {
  writeFileSync(join(folder, name), content);
  console.log(`wrote ${join(folder, name)}`);
}
if (signIn) {
  console.log(`
Entra ID sign-in: register the connector's client before creating the connector.
  1. Entra ID > App registrations > New registration: a name such as "intune-status-facade connector", single tenant.
  2. API permissions > Add > My APIs > the facade's API (${signIn.resourceUri}) > Delegated > user_impersonation; grant admin consent.
  3. Certificates & secrets > New client secret: enter it when you create the connector (it is never written to these files).
  4. Put the client's Application (client) id in --client-id (now ${signIn.clientId}).
  5. After creating the connector, copy the redirect URI its Security tab shows (one per connector) into the client's
     Authentication > Web > Redirect URIs.
Users then sign in as themselves: give them the app role IntuneStatus.Read or IntuneStatus.ReadWrite on the API.`);
}
