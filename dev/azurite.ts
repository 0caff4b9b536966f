import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** Azurite's default Table endpoint, which the `UseDevelopmentStorage=true` connection string names. */
export const AZURITE_TABLE_PORT = 10002;
export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

export interface RunningAzurite {
  /** How the facade reaches it (the `IdempotencyStorage` setting). */
  readonly connectionString: string;
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function spawnAzurite(port: number, storage: string[], environment: NodeJS.ProcessEnv): ChildProcess {
  const tableMain = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'table', 'main.js');
  return spawn(
    process.execPath,
    [
      tableMain,
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(port),
      '--disableTelemetry',
      '--silent',
      '--skipApiVersionCheck',
      ...storage,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: environment },
  );
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/**
 * Azurite's Table service on 127.0.0.1:10002 (`UseDevelopmentStorage=true`), started from the
 * project's own dependency, or reused when one already listens there. Telemetry off: only
 * loopback traffic. `location` keeps data on disk; without it data lives in memory.
 */
export async function startAzuriteTables(options: { location?: string } = {}): Promise<RunningAzurite> {
  if (await isListening(AZURITE_TABLE_PORT))
    return { connectionString: DEVELOPMENT_STORAGE, started: false, stop: async () => undefined };
  const storage = options.location ? ['--location', options.location] : ['--inMemoryPersistence'];
  const child = spawnAzurite(AZURITE_TABLE_PORT, storage, process.env);
  await waitUntilListening(AZURITE_TABLE_PORT, child, 30_000);
  return { connectionString: DEVELOPMENT_STORAGE, started: true, stop: stopper(child) };
}

/**
 * An Azurite Table service of one's own, in memory, on a free port, with an account and key made
 * up for this run: a test run or a benchmark does not depend on, nor disturb, an Azurite that
 * `npm start` may be running.
 */
export async function startPrivateAzuriteTables(): Promise<RunningAzurite> {
  const port = await freePort();
  const account = `facade${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32).toString('base64');
  const child = spawnAzurite(port, ['--inMemoryPersistence'], { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` });
  await waitUntilListening(port, child, 30_000);
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};TableEndpoint=http://127.0.0.1:${port}/${account};`,
    started: true,
    stop: stopper(child),
  };
}
