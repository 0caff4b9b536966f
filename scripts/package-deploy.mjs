#!/usr/bin/env node
// Assembles the folder `azd deploy` zips and uploads (azure.yaml: `dist: dist/deploy`, filled by
// the service's `prepackage` hook, which runs `npm run package:deploy`):
//
//   dist/deploy/
//     package.json, package-lock.json   as in the repository (main: dist/src/index.js)
//     host.json
//     dist/src/**/*.js(.map)            the compiled app, only files whose src/*.ts still exists
//     node_modules/                     production dependencies only: `npm ci --omit=dev
//                                       --omit=optional` (no devDependencies, no Core Tools)
//
// Nothing in the project folder is installed, pruned or deleted: npm runs in the output folder
// only, and the output folder may not be the project folder, one of its parents, or any folder
// of the project outside dist/.
//
// Usage: node scripts/package-deploy.mjs [--out <folder>] [--no-build]
//   --out       output folder (default dist/deploy); replaced on every run
//   --no-build  use the existing dist/src instead of running `npm run build` first
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs npm with the same npm (and Node) that runs this script when started by `npm run`. */
function npm(args, cwd) {
  const npmCli = process.env.npm_execpath;
  const [command, commandArgs] =
    npmCli && /npm-cli\.[cm]?js$/.test(basename(npmCli))
      ? [process.execPath, [npmCli, ...args]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
  // npm.cmd can only be started through a shell on Windows, which joins the arguments unquoted.
  const shell = process.platform === 'win32' && command === 'npm.cmd';
  const quoted = shell ? commandArgs.map((arg) => (/[\s"]/.test(arg) ? `"${arg.replace(/"/g, '""')}"` : arg)) : commandArgs;
  const result = spawnSync(command, quoted, { cwd, stdio: 'inherit', shell });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) exited with ${result.status ?? result.signal}`);
}

const isInside = (folder, parent) => {
  const path = relative(parent, folder);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
};

function checkOutputFolder(outDir) {
  if (isInside(projectRoot, outDir)) {
    throw new Error(`refusing to package into ${outDir}: it is the project folder or contains it`);
  }
  if (!isInside(outDir, projectRoot)) return;
  const underDist = relative(join(projectRoot, 'dist'), outDir).split(sep);
  if (underDist[0] === '..' || underDist[0] === '' || ['src', 'dev', 'test'].includes(underDist[0])) {
    throw new Error(
      `refusing to package into ${outDir}: inside the project, only a new folder under dist/ (such as dist/deploy) may be replaced`,
    );
  }
}

/** Copies the compiled files of dist/src whose TypeScript source still exists (tsc never deletes stale output). */
function copyCompiledApp(outDir) {
  const compiled = join(projectRoot, 'dist', 'src');
  const sources = join(projectRoot, 'src');
  let copied = 0;
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const fromSrc = relative(compiled, path);
      const source = fromSrc.endsWith('.js.map')
        ? fromSrc.slice(0, -'.js.map'.length) + '.ts'
        : fromSrc.endsWith('.js')
          ? fromSrc.slice(0, -'.js'.length) + '.ts'
          : fromSrc; // e.g. a JSON file tsc copies with resolveJsonModule
      if (!existsSync(join(sources, source))) continue;
      const target = join(outDir, 'dist', 'src', fromSrc);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied += 1;
    }
  };
  if (!existsSync(compiled)) throw new Error('dist/src does not exist: run `npm run build` first');
  walk(compiled);
  return copied;
}

/** Every installed package must be a production package of the lockfile (not dev, not optional). */
function checkInstalledPackages(outDir) {
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8'));
  const hiddenLockPath = join(outDir, 'node_modules', '.package-lock.json');
  const installed = existsSync(hiddenLockPath)
    ? Object.keys(JSON.parse(readFileSync(hiddenLockPath, 'utf8')).packages ?? {})
    : [];
  const notProduction = installed.filter((path) => {
    const entry = lock.packages?.[path];
    return !entry || entry.dev || entry.optional || entry.devOptional;
  });
  if (notProduction.length > 0) throw new Error(`not production dependencies in the package: ${notProduction.join(', ')}`);
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  const missing = Object.keys(manifest.dependencies ?? {}).filter(
    (name) => !existsSync(join(outDir, 'node_modules', name, 'package.json')),
  );
  if (missing.length > 0) throw new Error(`production dependencies missing from the package: ${missing.join(', ')}`);
  return installed.length;
}

function summarise(folder) {
  let files = 0;
  let bytes = 0;
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else {
        files += 1;
        bytes += statSync(child).size;
      }
    }
  };
  walk(folder);
  return { files, bytes };
}

/**
 * Builds (unless `build` is false) and assembles the deployment package in `outDir`.
 * Returns the package folder, its file count and size, and the number of installed packages.
 */
export function packageDeploy({ outDir = join(projectRoot, 'dist', 'deploy'), build = true } = {}) {
  outDir = resolve(outDir);
  checkOutputFolder(outDir);
  if (build) npm(['run', 'build'], projectRoot);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'host.json']) {
    if (!existsSync(join(projectRoot, file))) throw new Error(`${file} is missing from the project`);
    copyFileSync(join(projectRoot, file), join(outDir, file));
  }
  const compiledFiles = copyCompiledApp(outDir);

  const manifest = JSON.parse(readFileSync(join(outDir, 'package.json'), 'utf8'));
  if (!manifest.main || !existsSync(join(outDir, manifest.main))) {
    throw new Error(`package.json main (${manifest.main}) is not in the package: is it built from src/?`);
  }

  // The project's .npmrc (registry, proxy) applies to the install but is not shipped.
  const npmrc = join(projectRoot, '.npmrc');
  if (existsSync(npmrc)) copyFileSync(npmrc, join(outDir, '.npmrc'));
  try {
    // --prefix on the command line: `npm run` exports npm_config_local_prefix (the project) to us.
    npm(
      [
        'ci',
        '--omit=dev',
        '--omit=optional',
        '--ignore-scripts',
        '--no-bin-links',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--prefix',
        outDir,
      ],
      outDir,
    );
  } finally {
    rmSync(join(outDir, '.npmrc'), { force: true });
  }
  const installedPackages = checkInstalledPackages(outDir);
  return { outDir, compiledFiles, installedPackages, ...summarise(outDir) };
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const options = {
    outDir: outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : undefined,
    build: !args.includes('--no-build'),
  };
  try {
    const result = packageDeploy(options);
    const shown = relative(process.cwd(), result.outDir) || '.';
    console.log(
      `deployment package: ${shown}${sep} ${result.files} files, ${(result.bytes / 1024 / 1024).toFixed(1)} MiB ` +
        `(${result.compiledFiles} compiled app files, ${result.installedPackages} production packages)`,
    );
  } catch (error) {
    console.error(`package:deploy failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
