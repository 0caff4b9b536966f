import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { fetchGraphToken } from './identity-token';
import { type Processes, stopChild } from './processes';

/**
 * The benchmark's handle on the Graph emulator running in its own process (emulator-process.ts):
 * its pid, its Graph origin, the settings that point a host at it, its certificate, and its
 * control surface (`PUT /_emulator/throttling`, `/behaviour`, `GET /_emulator/stats`, ...).
 */
export interface BenchEmulator {
  readonly pid: number;
  /** `https://127.0.0.1:<port>`: the certificate names 127.0.0.1 too, and no lookup is needed. */
  readonly graphOrigin: string;
  /** As the emulator's facadeEnvironment(): GRAPH_BASE_URL, IDENTITY_*, NODE_EXTRA_CA_CERTS, GRAPH_CLOUD. */
  readonly environment: Record<string, string>;
  /** The emulator's self-signed certificate, for clients that call Graph directly. */
  readonly ca: Buffer;
  /** One call of the control surface (path under /_emulator); answers the JSON body, if any. */
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  /** A fresh token from the identity endpoint. */
  token(): Promise<string>;
  stop(): Promise<void>;
}

interface Ready {
  readonly graphUrl: string;
  readonly controlUrl: string;
  readonly environment: Record<string, string>;
}

const START_TIMEOUT_MS = 30_000;

export async function startBenchEmulator(processes: Processes): Promise<BenchEmulator> {
  const child = spawn(process.execPath, [join(__dirname, 'emulator-process.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stop = processes.add('Graph emulator', () => stopChild(child));
  let output = '';
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start in time:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
      const line = /^BENCH_EMULATOR (.+)$/m.exec(output);
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line[1] as string) as Ready);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with ${code}:\n${output}`));
    });
  });
  // After start its output is only kept for an error message, never searched again.
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  if (child.pid === undefined) throw new Error('the emulator has no pid');

  const environment = ready.environment;
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${ready.controlUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_emulator${path} answered ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    pid: child.pid,
    graphOrigin: ready.graphUrl.replace('//localhost:', '//127.0.0.1:'),
    environment,
    ca: readFileSync(environment.NODE_EXTRA_CA_CERTS as string),
    control,
    token: () => fetchGraphToken(environment.IDENTITY_ENDPOINT, environment.IDENTITY_HEADER),
    stop,
  };
}
