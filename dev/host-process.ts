import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';

// This module runs built (dist/dev) or from source under jest (dev); the host it starts is always the built one.
const PROJECT_ROOT = basename(join(__dirname, '..')) === 'dist' ? join(__dirname, '..', '..') : join(__dirname, '..');
export const BUILT_HOST = join(PROJECT_ROOT, 'dist', 'dev', 'host.js');

export interface HostProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The built facade host (dist/dev/host.js) in its own process with exactly `environment`
 * (and PATH), on a free port; resolves once it listens, rejects with its output if it exits.
 */
export function startHostProcess(environment: Record<string, string>): Promise<HostProcess> {
  // HOST_NODE_ARGUMENTS are given to each host's node: `--cpu-prof --cpu-prof-dir=DIR` profiles a run's hosts.
  const extra = (process.env.HOST_NODE_ARGUMENTS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, BUILT_HOST], {
    env: { PATH: process.env.PATH ?? '', ...environment, PORT: environment.PORT ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // HOST_OUTPUT_DIR keeps each host's output in a file, so that a whole test run can be audited.
  const keep = process.env.HOST_OUTPUT_DIR
    ? createWriteStream(join(process.env.HOST_OUTPUT_DIR, `host-${child.pid}.log`))
    : undefined;
  child.once('exit', () => keep?.end());
  return new Promise((resolve, reject) => {
    let started = false;
    const onData = (chunk: Buffer) => {
      keep?.write(chunk);
      output += chunk.toString('utf8');
      // Once started, the output is only kept: matching the whole of it on every chunk would grow with every log line.
      if (started) return;
      const ready = /Facade listening on (\S+)/.exec(output);
      if (ready) {
        started = true;
        resolve({
          child,
          baseUrl: ready[1] as string,
          output: () => output,
          stop: () => {
            child.removeAllListeners('exit');
            if (child.exitCode !== null) return Promise.resolve();
            const exited = new Promise<void>((done) => child.once('exit', () => done()));
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`host exited with ${code}:\n${output}`)));
  });
}
