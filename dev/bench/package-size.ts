import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';

import { BUILT_HOST } from '../host-process';
import { type Processes, stopChild } from './processes';

/**
 * The deployment package as azd would upload it: scripts/package-deploy.mjs assembles it (the
 * compiled app, package files and production node_modules, installed by `npm ci`) in a temporary
 * folder, which is zipped and measured, then deleted. `--no-build`: `npm run bench` has just built.
 */

const PROJECT_ROOT = join(BUILT_HOST, '..', '..', '..');
/** npm ci may fetch from the registry on a cold cache; past this the phase fails rather than hang. */
const PACKAGE_TIMEOUT_MS = 240_000;

export interface PackageFigures {
  readonly files: number;
  /** Unzipped size. */
  readonly bytes: number;
  readonly zipBytes: number;
  /** `zip -qr` (default deflate level) when the machine has zip; else a sum of raw deflate sizes plus zip's per-file overhead. */
  readonly zippedWith: 'zip' | 'deflate-sum';
}

function run(command: string, args: readonly string[], cwd: string, processes: Processes, timeoutMs: number): Promise<void> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = processes.add(command, () => stopChild(child));
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop(), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      void stop();
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}:\n${output}`));
    });
  });
}

const onPath = (program: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((folder) => folder && existsSync(join(folder, program)));

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Local header (30) + central directory entry (46) + the name twice: what zip adds per file. */
const zipOverhead = (relativeName: string): number => 76 + 2 * Buffer.byteLength(relativeName);

export async function measurePackage(processes: Processes): Promise<PackageFigures> {
  const work = mkdtempSync(join(tmpdir(), 'facade-bench-package-'));
  const out = join(work, 'package');
  try {
    await run(
      process.execPath,
      [join(PROJECT_ROOT, 'scripts', 'package-deploy.mjs'), '--out', out, '--no-build'],
      PROJECT_ROOT,
      processes,
      PACKAGE_TIMEOUT_MS,
    );
    const files = filesUnder(out);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    if (onPath('zip')) {
      const archive = join(work, 'package.zip');
      await run('zip', ['-qr', archive, '.'], out, processes, 120_000);
      return { files: files.length, bytes, zipBytes: statSync(archive).size, zippedWith: 'zip' };
    }
    const zipBytes = files.reduce(
      (sum, file) => sum + deflateRawSync(readFileSync(file)).length + zipOverhead(file.slice(out.length + 1)),
      22,
    );
    return { files: files.length, bytes, zipBytes, zippedWith: 'deflate-sum' };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
