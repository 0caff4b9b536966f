import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { SEED_EXAMPLES } from '../src/catalog/examples';
import { acceptsApplication, operationNamed } from '../src/catalog/operations';
import { startAzurite } from './azurite';
import { curlFor } from './examples';
import { DEMO_USER } from './graph-emulator/caller-tokens';
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
  // The local host checks callers' tokens as App Service Authentication does, for tokens the
  // emulator issues. By default both ways are taken (CALLER_AUTH=both): calls without a token go
  // on as with a function key, and a signed-in user's token reaches the operations Graph accepts
  // only from users. Tokens are made for the banner: the demo user's, and an app's with both roles.
  const callerAuth = process.env.CALLER_AUTH ?? 'both';
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
      CALLER_AUTH: callerAuth,
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
      void (signsIn ? demoTokens(emulator.controlUrl) : Promise.resolve(undefined)).then((tokens) =>
        printWelcome(ready[1] as string, emulator.graphUrl, emulator.controlUrl, telemetryFile, tokens),
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

/** Tokens from the emulator with both app roles: an application's (a Logic App's), and the demo user's (the connector's). */
interface DemoTokens {
  readonly app: string;
  readonly user: string;
}

async function demoTokens(controlUrl: string): Promise<DemoTokens> {
  const issue = async (kind: string) => {
    const response = await fetch(`${controlUrl}/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['IntuneStatus.Read', 'IntuneStatus.ReadWrite'] }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return { app: await issue('caller-tokens'), user: await issue('user-tokens') };
}

function printWelcome(baseUrl: string, graphUrl: string, controlUrl: string, telemetryFile: string, tokens?: DemoTokens): void {
  const callerAuth = process.env.CALLER_AUTH ?? 'both';
  const signIn = tokens
    ? [
        `Callers sign in (CALLER_AUTH=${callerAuth})${callerAuth === 'both' ? ', or call without a token as with a function key' : ''}.`,
        `An application's token (a Logic App's managed identity): export TOKEN='${tokens.app}'`,
        `The demo user ${DEMO_USER.upn}'s token (as the Power Automate connector sends it; the install summary's update takes only users):`,
        `export USER_TOKEN='${tokens.user}'`,
        `Other tokens: POST ${controlUrl}/caller-tokens (applications) or /user-tokens (users), e.g. -d '{"roles":["IntuneStatus.Read"]}'`,
        '',
      ]
    : [
        'With CALLER_AUTH=function-key nobody signs in: the install summary update, which Graph takes only from users, is refused.',
        '',
      ];
  // The examples Graph accepts only from a signed-in user carry the demo user's token.
  const curl = (example: (typeof SEED_EXAMPLES)[number]) =>
    curlFor(example, baseUrl, acceptsApplication(operationNamed(example.operation)) ? undefined : tokens?.user);
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
    ...SEED_EXAMPLES.flatMap((example) => [`# ${example.title}`, curl(example), '']),
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
