import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { SEED_EXAMPLES } from '../src/catalog/examples';
import { startAzurite } from './azurite';
import { curlFor } from './examples';
import { startGraphEmulator } from './graph-emulator/server';
import { SEEDED_IDS } from './graph-emulator/state';

// `npm start`: Azurite (Table Storage for Idempotency-Key records, Queue Storage for queue-triggered
// functions) and the Graph emulator, then the facade host in a child process wired to them exactly
// as the Functions host would be in Azure (managed identity endpoint, Graph root over HTTPS, a
// shared table for keys). AzureWebJobsStorage names Azurite too, as `func start` with
// `UseDevelopmentStorage=true`: it is the connection a queue trigger that names none uses.
async function main(): Promise<void> {
  const projectRoot = join(__dirname, '..', '..');
  const azurite = await startAzurite({ location: join(projectRoot, '.emulator', 'azurite') });
  const emulator = await startGraphEmulator({ certPath: join(projectRoot, '.emulator', 'graph-emulator.pem') });
  const port = process.env.PORT ?? '7071';
  // What the app would export to Application Insights, as JSON lines (src/telemetry): kept across runs, appended.
  const telemetryFile = process.env.TELEMETRY_FILE ?? join(projectRoot, '.emulator', 'telemetry.jsonl');
  // CALLER_AUTH=entra (or both): the local host checks callers' tokens as App Service Authentication
  // does, for tokens the emulator issues; a token with both roles is made for the banner.
  const callerAuth = process.env.CALLER_AUTH ?? 'function-key';
  const signsIn = callerAuth === 'entra' || callerAuth === 'both';
  const callerEnvironment: Record<string, string> = signsIn
    ? { ...emulator.callerAuthEnvironment(), ...(callerAuth === 'both' ? { LOCAL_AUTH_UNAUTHENTICATED: 'allow' } : {}) }
    : {};
  const host = spawn(process.execPath, [join(__dirname, 'host.js')], {
    env: {
      ...process.env,
      ...emulator.facadeEnvironment(),
      AzureWebJobsStorage: azurite.connectionString,
      IdempotencyStorage: azurite.connectionString,
      TELEMETRY_FILE: telemetryFile,
      ...callerEnvironment,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });

  let announced = false;
  host.stdout.setEncoding('utf8');
  host.stdout.on('data', (chunk: string) => {
    process.stdout.write(chunk);
    const ready = /Facade listening on (\S+)/.exec(chunk);
    if (ready && !announced) {
      announced = true;
      void (signsIn ? demoCallerToken(emulator.controlUrl) : Promise.resolve(undefined)).then((token) =>
        printWelcome(ready[1] as string, emulator.graphUrl, emulator.controlUrl, telemetryFile, token),
      );
    }
  });

  const shutDown = async (code: number) => {
    await Promise.all([emulator.close(), azurite.stop()]);
    process.exit(code);
  };
  const hostExited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    host.kill('SIGTERM');
    // Azurite stays up until the host has stopped: queue invocations in flight settle their
    // messages first (the host gives them 30 s at most).
    const hostGivenUp = new Promise<void>((resolve) => setTimeout(resolve, 35_000).unref());
    void Promise.race([hostExited, hostGivenUp]).then(() => shutDown(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  host.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`The facade host stopped with exit code ${code}.`);
      void shutDown(code);
    }
  });
}

/** A caller token from the emulator with both app roles, for trying the facade in Entra mode. */
async function demoCallerToken(controlUrl: string): Promise<string> {
  const response = await fetch(`${controlUrl}/caller-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roles: ['IntuneStatus.Read', 'IntuneStatus.ReadWrite'] }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

function printWelcome(baseUrl: string, graphUrl: string, controlUrl: string, telemetryFile: string, token?: string): void {
  const signIn = token
    ? [
        `Callers sign in (CALLER_AUTH=${process.env.CALLER_AUTH}): add -H "authorization: Bearer $TOKEN" to each call below, with`,
        `export TOKEN='${token}'`,
        `Another token, with the roles you choose: curl -sS -X POST ${controlUrl}/caller-tokens -H 'content-type: application/json' -d '{"roles":["IntuneStatus.Read"]}'`,
        '',
      ]
    : [];
  const lines = [
    '',
    `intune-status-facade is running on the built-in Graph emulator (${graphUrl}),`,
    'with Idempotency-Key records and queues in Azurite (tables 127.0.0.1:10002, queues 127.0.0.1:10001).',
    `Base URL: ${baseUrl}`,
    `Health:   curl ${baseUrl}/health`,
    `Docs:     ${baseUrl}/docs (every operation, with "try it")`,
    ...signIn,
    `Read:     curl ${baseUrl}/mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-status-summary`,
    '',
    ...SEED_EXAMPLES.flatMap((example) => [`# ${example.title}`, curlFor(example, baseUrl), '']),
    `Emulator control (reset state, roles, faults): ${controlUrl}`,
    `Telemetry (each call's record and its Graph and storage dependencies, as JSON lines): ${telemetryFile}`,
    'Stop with Ctrl+C.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
