#!/usr/bin/env node
// Bundles the app into one file with esbuild: dist/bundle/index.js (package.json `main`), its
// source map beside it, and the reference page's two assets in dist/bundle/reference/. The
// deployed app is this folder and nothing else: no node_modules, nothing resolved at start-up.
//
// `@azure/functions-core` stays outside: the Functions worker provides it at run time.
// Source maps are written but not loaded: Node reads them only with --enable-source-maps
// (NODE_OPTIONS), which turns stack traces back into TypeScript at a cost paid at start-up.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decode, encode } from '@jridgewell/sourcemap-codec';
import { build } from 'esbuild';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(projectRoot, 'dist', 'bundle');
const require = createRequire(join(projectRoot, 'package.json'));

/** The files of swagger-ui-dist the reference page serves (src/functions/description-handlers.ts). */
const REFERENCE_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'];

rmSync(outDir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(projectRoot, 'src', 'index.ts')],
  outfile: join(outDir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@azure/functions-core'],
  // Packages that offer a browser build must give their Node one.
  mainFields: ['main', 'module'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  // Positions and names only: stack traces need no source text, and the package stays small.
  sourcesContent: false,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
dropNames(join(outDir, 'index.js.map'));
mkdirSync(join(outDir, 'reference'), { recursive: true });
for (const asset of REFERENCE_ASSETS) {
  copyFileSync(require.resolve(`swagger-ui-dist/${asset}`), join(outDir, 'reference', asset));
}
/**
 * The map keeps positions only. Its names would map minified identifiers back, but keepNames
 * already keeps every function's and class's own name at run time, and stack traces read those:
 * without the names the map is a third smaller, and so is the package.
 */
function dropNames(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const positionsOnly = decode(map.mappings).map((line) => line.map((segment) => segment.slice(0, 4)));
  writeFileSync(mapFile, JSON.stringify({ ...map, names: [], mappings: encode(positionsOnly) }));
}

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundle: dist/bundle/index.js and its map, ${(bytes / 1024 / 1024).toFixed(1)} MiB written`);
