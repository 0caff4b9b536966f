import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { DOCUMENTS, DOCUMENTS_WITH_ROUTE_TABLE } from '../../dev/write-docs';
import { routeTableMarkdown, withRouteTable } from '../../src/catalog/route-table';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

describe('the docs', () => {
  test.each(DOCUMENTS_WITH_ROUTE_TABLE)('%s shows the route table of the catalog (npm run docs writes it)', (document) => {
    const text = read(document);
    expect(withRouteTable(text, routeTableMarkdown())).toBe(text);
  });

  test('the README is the front door: under 250 lines, and links to every document', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThan(250);
    for (const document of DOCUMENTS.slice(1)) expect(readme).toContain(`](${document})`);
  });

  test.each(DOCUMENTS)('%s: every relative link names a file that exists', (document) => {
    for (const [, target] of read(document).matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)) {
      expect(existsSync(join(root, dirname(document), target as string))).toBe(true);
    }
  });

  test.each(DOCUMENTS)('%s: every `npm run` command names a script of package.json', (document) => {
    for (const [, script] of read(document).matchAll(/npm run ([a-z:-]+)/g)) {
      expect(Object.keys(scripts)).toContain(script);
    }
  });
});
