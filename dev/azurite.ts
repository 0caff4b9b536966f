import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** Azurite's default endpoints, which the `UseDevelopmentStorage=true` connection string names. */
export const AZURITE_QUEUE_PORT = 10001;
export const AZURITE_TABLE_PORT = 10002;
export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

export interface RunningAzurite {
  /** How the facade reaches both services (the `IdempotencyStorage` setting, a queue trigger's connection). */
  readonly connectionString: string;
  /** False when an Azurite already listening on both ports was reused. */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** The two Azurite services the app uses; each is its own Node.js program in the `azurite` package. */
type Service = 'table' | 'queue';

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

/** Ports free at this moment, all different: each probe holds its port until every one is known. */
async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const probe = createServer();
          probe.once('error', reject);
          probe.listen(0, '127.0.0.1', () => resolve(probe));
        }),
    ),
  );
  const ports = probes.map((probe) => (probe.address() as AddressInfo).port);
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}

function spawnAzurite(service: Service, port: number, storage: string[], environment: NodeJS.ProcessEnv): ChildProcess {
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', service, 'main.js');
  return spawn(
    process.execPath,
    [
      main,
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
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

/** Starts each service on its port, both at once; if one fails to listen, the other is stopped too. */
async function startServices(
  services: readonly { service: Service; port: number }[],
  storage: string[],
  environment: NodeJS.ProcessEnv,
): Promise<() => Promise<void>> {
  const children = services.map(({ service, port }) => ({ port, child: spawnAzurite(service, port, storage, environment) }));
  const stopAll = async () => {
    await Promise.all(children.map(({ child }) => stopper(child)()));
  };
  try {
    await Promise.all(children.map(({ port, child }) => waitUntilListening(port, child, 30_000)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}

/**
 * Azurite's Table service on 127.0.0.1:10002 and Queue service on 127.0.0.1:10001 (both named by
 * `UseDevelopmentStorage=true`), started from the project's own dependency; a service already
 * listening on its port is reused. Telemetry off: only loopback traffic. `location` keeps data on
 * disk (both services in one folder, as Azurite does); without it data lives in memory.
 */
export async function startAzurite(options: { location?: string } = {}): Promise<RunningAzurite> {
  const wanted: { service: Service; port: number }[] = [
    { service: 'table', port: AZURITE_TABLE_PORT },
    { service: 'queue', port: AZURITE_QUEUE_PORT },
  ];
  const listening = await Promise.all(wanted.map(({ port }) => isListening(port)));
  const missing = wanted.filter((_, index) => !listening[index]);
  if (missing.length === 0) return { connectionString: DEVELOPMENT_STORAGE, started: false, stop: async () => undefined };
  const storage = options.location ? ['--location', options.location] : ['--inMemoryPersistence'];
  const stop = await startServices(missing, storage, process.env);
  return { connectionString: DEVELOPMENT_STORAGE, started: true, stop };
}

/**
 * An Azurite of one's own (Table and Queue services), in memory, on free ports, with one account
 * and key made up for this run: a test run or a benchmark does not depend on, nor disturb, an
 * Azurite that `npm start` may be running. Its connection string names both endpoints.
 */
export async function startPrivateAzurite(): Promise<RunningAzurite> {
  const [tablePort, queuePort] = (await freePorts(2)) as [number, number];
  const account = `facade${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32).toString('base64');
  const stop = await startServices(
    [
      { service: 'table', port: tablePort },
      { service: 'queue', port: queuePort },
    ],
    ['--inMemoryPersistence'],
    { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` },
  );
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};` +
      `TableEndpoint=http://127.0.0.1:${tablePort}/${account};QueueEndpoint=http://127.0.0.1:${queuePort}/${account};`,
    started: true,
    stop,
  };
}
