import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CONNECTOR_FOLDER, connectorFiles } from './connector';

/**
 * `npm run connector` writes the Power Platform custom connector into connector/ (the committed
 * copy names a placeholder host); `npm run connector -- --host my-app.azurewebsites.net --out dir`
 * writes one for a deployed app, ready for `paconn create`.
 */
const { values } = parseArgs({ options: { host: { type: 'string' }, out: { type: 'string' } } });
// Swagger 2.0's `host`: a name or address and an optional port, nothing else (no scheme, no path).
if (values.host !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(values.host)) {
  console.error(`--host must be a host name such as my-app.azurewebsites.net (got ${JSON.stringify(values.host)})`);
  process.exit(2);
}
const folder = values.out ?? join(__dirname, '..', '..', CONNECTOR_FOLDER);
mkdirSync(folder, { recursive: true });
for (const [name, content] of Object.entries(connectorFiles(values.host))) {
  writeFileSync(join(folder, name), content);
  console.log(`wrote ${join(folder, name)}`);
}
