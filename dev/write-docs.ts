import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { routeTableMarkdown, withRouteTable } from '../src/catalog/route-table';

/** The README and the documents in docs/, as users read them. */
export const DOCUMENTS = [
  'README.md',
  'docs/api-reference.md',
  'docs/reliability.md',
  'docs/local-development.md',
  'docs/deployment.md',
  'docs/operations.md',
  'docs/architecture.md',
];

/** The Markdown files whose route table is generated from the catalog. */
export const DOCUMENTS_WITH_ROUTE_TABLE = ['README.md', 'docs/api-reference.md'];

// `npm run docs`: writes the catalog's route table into the documents that show it.
if (require.main === module) {
  const root = join(__dirname, '..', '..');
  for (const document of DOCUMENTS_WITH_ROUTE_TABLE) {
    const path = join(root, document);
    const updated = withRouteTable(readFileSync(path, 'utf8'), routeTableMarkdown());
    if (updated === undefined) throw new Error(`${document} has no route table markers`);
    writeFileSync(path, updated);
    console.log(`route table written to ${document}`);
  }
}
