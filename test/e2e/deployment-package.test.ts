import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
const projectManifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
};

const NEVER_SHIPPED = [
  'jest',
  'typescript',
  'ts-jest',
  'azurite',
  'fast-check',
  'selfsigned',
  'azure-functions-core-tools',
  'node',
  '@types',
];

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

test('the package holds package.json, its lockfile, host.json, dist/src and node_modules, nothing else', () => {
  expect(readdirSync(packageDir).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package-lock.json', 'package.json']);
  expect(readdirSync(join(packageDir, 'dist'))).toEqual(['src']);
  for (const folder of ['src', 'dev', 'test', 'infra', 'scripts', 'dist/dev', 'dist/test', 'coverage', '.azure']) {
    expect(existsSync(join(packageDir, folder))).toBe(false);
  }
  expect(readFileSync(join(packageDir, 'package.json'), 'utf8')).toBe(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  expect(readFileSync(join(packageDir, 'host.json'), 'utf8')).toBe(readFileSync(join(projectRoot, 'host.json'), 'utf8'));
});

test('the app is compiled JavaScript only: no TypeScript sources, no local settings', () => {
  const appFiles = filesUnder(packageDir).filter((file) => !file.startsWith('node_modules/'));
  expect(appFiles.filter((file) => /\.[cm]?ts$/.test(file))).toEqual([]);
  expect(appFiles.filter((file) => /local\.settings|\.npmrc|\.funcignore|tsconfig/.test(file))).toEqual([]);
  for (const file of appFiles.filter((name) => name.startsWith('dist/'))) expect(file).toMatch(/^dist\/src\/.+\.js(\.map)?$/);
});

test('package.json main names an existing file', () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { main: string };
  expect(manifest.main).toBe(projectManifest.main);
  expect(existsSync(join(packageDir, manifest.main))).toBe(true);
});

test('node_modules holds every production dependency and no devDependency, optional dependency or Core Tools', () => {
  const modules = join(packageDir, 'node_modules');
  for (const name of Object.keys(projectManifest.dependencies)) {
    expect(existsSync(join(modules, name, 'package.json'))).toBe(true);
  }
  for (const name of NEVER_SHIPPED) expect(existsSync(join(modules, name))).toBe(false);
  expect(existsSync(join(modules, '.bin'))).toBe(false);
  // Nowhere in the tree either (a nested copy under another package would ship just the same).
  const nested = filesUnder(modules)
    .filter((file) => file.endsWith('/package.json'))
    .map((file) => file.replace(/\/package\.json$/, ''))
    .filter((folder) =>
      NEVER_SHIPPED.some((name) => folder.endsWith(`node_modules/${name}`) || folder.includes(`node_modules/${name}/`)),
    );
  expect(nested).toEqual([]);
});

test('the packaged entry registers every function, resolving @azure/functions from the package', () => {
  const entry = join(packageDir, projectManifest.main);
  expect(
    require
      .resolve('@azure/functions', { paths: [join(packageDir, 'dist', 'src')] })
      .startsWith(join(packageDir, 'node_modules') + sep),
  ).toBe(true);

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
  expect(packaged.map((fn) => fn.name)).toEqual(expect.arrayContaining(['Health', 'Z_NotFound']));
});
