import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

import { createCoreApiStandIn, type RegisteredHttpFunction } from '../../dev/functions-runtime';
import { CATALOG } from '../../src/catalog/operations';

// What `azd deploy` uploads is the folder `npm run package:deploy` assembles (azure.yaml `dist:`,
// prepackage hook). This runs the same script into a folder outside the project, so that the
// packaged app can only resolve what the package itself contains, and checks what is in it.
// The build is the one `npm test` has just made (pretest): rebuilding here would rewrite dist/
// under the end-to-end tests running beside this one.
const mockCore = createCoreApiStandIn();
jest.mock('@azure/functions-core', () => mockCore.coreApi, { virtual: true });

const projectRoot = join(__dirname, '..', '..');
const projectManifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main: string };

let workDir: string;
let packageDir: string;
let packaging: { status: number | null; output: string };

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(packageDir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

function loadEntry(entryFile: string): RegisteredHttpFunction[] {
  mockCore.registered.length = 0;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's entry, loaded by path as the worker loads it
    require(entryFile);
  });
  return [...mockCore.registered];
}

const summaryOf = (fn: RegisteredHttpFunction) => ({
  name: fn.name,
  route: fn.route,
  methods: [...fn.methods].sort(),
  authLevel: fn.authLevel,
});
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'facade-deploy-package-'));
  packageDir = join(workDir, 'deploy');
  const run = spawnSync(
    process.execPath,
    [join(projectRoot, 'scripts', 'package-deploy.mjs'), '--out', packageDir, '--no-build'],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 110_000,
    },
  );
  packaging = { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}, 120_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the packaging script succeeds', () => {
  expect(packaging).toMatchObject({ status: 0 });
  expect(packaging.output).toMatch(/deployment package: .* files/);
});

test('the package holds package.json, host.json and the bundle, nothing else: no node_modules to install', () => {
  expect(filesUnder(packageDir).sort()).toEqual([
    'dist/bundle/index.js',
    'dist/bundle/index.js.LEGAL.txt',
    'dist/bundle/index.js.map',
    'dist/bundle/reference/swagger-ui-bundle.js',
    'dist/bundle/reference/swagger-ui.css',
    'host.json',
    'package.json',
  ]);
  expect(readFileSync(join(packageDir, 'host.json'), 'utf8')).toBe(readFileSync(join(projectRoot, 'host.json'), 'utf8'));
});

test('package.json names the bundle as main and no dependency to install', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest.main).toBe(projectManifest.main);
  expect(manifest).not.toHaveProperty('dependencies');
  expect(manifest).not.toHaveProperty('devDependencies');
});

test('the packaged bundle registers every function exactly as the built app does, from the package alone', () => {
  const entry = join(packageDir, projectManifest.main);
  const packaged = loadEntry(entry).map(summaryOf).sort(byName);
  const built = loadEntry(join(projectRoot, projectManifest.main)).map(summaryOf).sort(byName);
  expect(packaged.length).toBeGreaterThan(0);
  expect(packaged).toEqual(built);
  for (const operation of CATALOG) {
    expect(packaged).toContainEqual({
      name: operation.name,
      route: operation.route,
      methods: [operation.method],
      authLevel: 'function',
    });
  }
  expect(packaged.map((fn) => fn.name)).toEqual(expect.arrayContaining(['Health', 'Z_NotFound', 'ApiReference']));
});
