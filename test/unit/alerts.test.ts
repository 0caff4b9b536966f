import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The alert queries (infra/alerts/*.kql, loaded by infra/app/alerts.bicep) select records and
// dependencies by event and attribute names the app emits. A name renamed in the app and not in
// a query would leave an alert that can never fire: each name a query uses must be one the app's
// sources write.

const root = join(__dirname, '..', '..');
const alertsFolder = join(root, 'infra', 'alerts');
const queries = readdirSync(alertsFolder)
  .filter((file) => file.endsWith('.kql'))
  .map((file) => ({ file, text: readFileSync(join(alertsFolder, file), 'utf8') }));

function sourcesOf(folder: string): string {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}
const sources = sourcesOf(join(root, 'src'));

test('infra/alerts holds one query per alert rule of the Bicep', () => {
  const bicep = readFileSync(join(root, 'infra', 'app', 'alerts.bicep'), 'utf8');
  const loaded = [...bicep.matchAll(/loadTextContent\('\.\.\/alerts\/([^']+)'\)/g)].map((match) => match[1]);
  expect(loaded.sort()).toEqual(queries.map(({ file }) => file).sort());
});

test.each(queries.map(({ file, text }) => [file, text]))('%s names only events and attributes the app emits', (_file, text) => {
  const attributes = [...text.matchAll(/customDimensions\["([^"]+)"\]/g)].map((match) => match[1] as string);
  const events = [...text.matchAll(/"(facade\.[a-z.-]+)"/g)].map((match) => match[1] as string);
  const problems = [...text.matchAll(/"([a-z]+(?:-[a-z]+)+)"/g)].map((match) => match[1] as string);
  expect(attributes.length + events.length).toBeGreaterThan(0);
  // Written as a string ('http.route', 'facade.call') or as a plain key (operation_id: ...).
  const emitted = (name: string) => sources.includes(`'${name}'`) || new RegExp(`\\b${name}:`).test(sources);
  for (const name of [...attributes, ...events, ...problems])
    expect({ name, emitted: emitted(name) }).toEqual({ name, emitted: true });
});
