#!/usr/bin/env node
// Assembles the folder `azd deploy` zips and uploads (azure.yaml: `dist: dist/deploy`, filled by
// the service's `prepackage` hook, which runs `npm run package:deploy`):
//
//   dist/deploy/
//     package.json        name, version, engines and main (dist/bundle/index.js); no dependencies
//     host.json
//     dist/bundle/        the app as one esbuild bundle (scripts/bundle.mjs), its source map,
//                         its licence notices, and the reference page's two assets
//
// The bundle holds every dependency it uses, so there is no node_modules to install or ship:
// the package is a few files, and nothing is resolved from disk when the instance starts.
// Nothing in the project folder is changed: the output folder may not be the project folder,
// one of its parents, or any folder of the project outside dist/.
//
// Usage: node scripts/package-deploy.mjs [--out <folder>] [--no-build]
//   --out       output folder (default dist/deploy); replaced on every run
//   --no-build  use the existing dist/bundle instead of running `npm run build` first
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  if (underDist[0] === '..' || underDist[0] === '' || ['src', 'dev', 'test', 'bundle'].includes(underDist[0])) {
    throw new Error(
      `refusing to package into ${outDir}: inside the project, only a new folder under dist/ (such as dist/deploy) may be replaced`,
    );
  }
}

/** Copies dist/bundle, the whole deployed app. */
function copyBundle(outDir) {
  const bundle = join(projectRoot, 'dist', 'bundle');
  if (!existsSync(join(bundle, 'index.js'))) throw new Error('dist/bundle/index.js does not exist: run `npm run build` first');
  cpSync(bundle, join(outDir, 'dist', 'bundle'), { recursive: true });
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
 * Returns the package folder, its file count and size.
 */
export function packageDeploy({ outDir = join(projectRoot, 'dist', 'deploy'), build = true } = {}) {
  outDir = resolve(outDir);
  checkOutputFolder(outDir);
  if (build) npm(['run', 'build'], projectRoot);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(join(projectRoot, 'host.json'))) throw new Error('host.json is missing from the project');
  copyFileSync(join(projectRoot, 'host.json'), join(outDir, 'host.json'));
  // The Functions host reads `main` to find the app; the bundle needs no dependency installed.
  const { name, version, description, license, engines, main } = JSON.parse(
    readFileSync(join(projectRoot, 'package.json'), 'utf8'),
  );
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name, version, description, license, private: true, main, engines }, null, 2)}\n`,
  );
  copyBundle(outDir);
  if (!main || !existsSync(join(outDir, main))) throw new Error(`package.json main (${main}) is not in the package`);
  return { outDir, ...summarise(outDir) };
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
    console.log(`deployment package: ${shown}${sep} ${result.files} files, ${(result.bytes / 1024 / 1024).toFixed(1)} MiB`);
  } catch (error) {
    console.error(`package:deploy failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
