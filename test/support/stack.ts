import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_STORAGE } from '../../dev/azurite';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../../dev/graph-emulator/server';

const PROJECT_ROOT = join(__dirname, '..', '..');
const HOST_SCRIPT = join(PROJECT_ROOT, 'dist', 'dev', 'host.js');

/** A facade answer, read whole. */
export interface FacadeAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

export interface CallOptions {
  readonly body?: unknown;
  /** Raw body text, sent as is. */
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Record<string, string>;
}

/** The built facade host in a child process, wired to an in-process Graph emulator. */
export interface Stack {
  readonly baseUrl: string;
  readonly emulator: GraphEmulator;
  /** Everything the host process wrote to stdout and stderr so far. */
  output(): string;
  call(method: string, path: string, options?: CallOptions): Promise<FacadeAnswer>;
  control(method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly emulator?: GraphEmulatorOptions;
  /** Settings of the facade process on top of the emulator's. */
  readonly facadeEnvironment?: Record<string, string>;
  /** Idempotency records in Azurite (the default, in a table of this stack's own) or in the host's memory. */
  readonly idempotencyStore?: 'azurite' | 'memory';
}

/** Starts the host process with `environment`; resolves with its base URL once it listens. */
export function startHostProcess(environment: Record<string, string>): Promise<{ child: ChildProcess; baseUrl: string; output: () => string }> {
  const child = spawn(process.execPath, [HOST_SCRIPT], {
    env: { PATH: process.env.PATH ?? '', ...environment, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const ready = /Facade listening on (\S+)/.exec(output);
      if (ready) resolve({ child, baseUrl: ready[1] as string, output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`host exited with ${code}:\n${output}`)));
  });
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await startGraphEmulator(options.emulator);
  const storage: Record<string, string> =
    options.idempotencyStore === 'memory'
      ? {}
      : { IdempotencyStorage: DEVELOPMENT_STORAGE, IDEMPOTENCY_TABLE_NAME: `keys${randomBytes(6).toString('hex')}` };
  const host = await startHostProcess({ ...emulator.facadeEnvironment(), ...storage, ...options.facadeEnvironment });
  const localUrl = emulator.controlUrl;
  return {
    baseUrl: host.baseUrl,
    emulator,
    output: host.output,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = { ...callOptions.headers };
      let body: string | Uint8Array | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${host.baseUrl}/${path}`, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    async control(method, path, body) {
      const response = await fetch(`${localUrl}/${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // A refused control call would leave a test running without its fault or setting.
      if (!response.ok) throw new Error(`emulator control ${method} ${path} answered ${response.status}: ${await response.text()}`);
      return response;
    },
    async stop() {
      host.child.removeAllListeners('exit');
      const exited = new Promise((resolve) => host.child.once('exit', resolve));
      host.child.kill('SIGTERM');
      await exited;
      await emulator.close();
    },
  };
}

/** Ids the emulator seeds (DESIGN.md). */
export { SEEDED_IDS } from '../../dev/graph-emulator/state';
