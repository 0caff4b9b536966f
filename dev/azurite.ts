import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

/** Azurite's default Table endpoint, which the `UseDevelopmentStorage=true` connection string names. */
export const AZURITE_TABLE_PORT = 10002;
export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

export interface RunningAzurite {
  /** False when an Azurite already listening was reused. */
  readonly started: boolean;
  stop(): Promise<void>;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilListening(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}`);
    if (await isListening(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not listen on ${port} within ${timeoutMs} ms`);
}

/**
 * Azurite's Table service on 127.0.0.1:10002, started from the project's own dependency (or
 * reused when one already listens there). Telemetry off: only loopback traffic. `location`
 * keeps data on disk; without it data lives in memory for the run.
 */
export async function startAzuriteTables(options: { location?: string } = {}): Promise<RunningAzurite> {
  if (await isListening(AZURITE_TABLE_PORT)) return { started: false, stop: async () => undefined };
  const tableMain = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'table', 'main.js');
  const storage = options.location ? ['--location', options.location] : ['--inMemoryPersistence'];
  const child = spawn(
    process.execPath,
    [tableMain, '--tableHost', '127.0.0.1', '--tablePort', String(AZURITE_TABLE_PORT), '--disableTelemetry', '--silent', '--skipApiVersionCheck', ...storage],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitUntilListening(AZURITE_TABLE_PORT, child, 30_000);
  return {
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
