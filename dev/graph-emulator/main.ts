import { join } from 'node:path';

import { startGraphEmulator } from './server';

// `npm run emulator`: the Graph emulator alone, on fixed ports, for a facade started by `func start`.
async function main(): Promise<void> {
  const projectRoot = join(__dirname, '..', '..', '..');
  const emulator = await startGraphEmulator({
    graphPort: Number(process.env.GRAPH_EMULATOR_PORT ?? 7443),
    localPort: Number(process.env.GRAPH_EMULATOR_LOCAL_PORT ?? 7444),
    certPath: join(projectRoot, '.emulator', 'graph-emulator.pem'),
  });
  console.log(`Graph emulator on ${emulator.graphUrl}; control surface on ${emulator.controlUrl}.`);
  console.log(
    'Intune throttling is on at its real limits; see PUT /_emulator/throttling, /faults, /chaos and GET /_emulator/stats.',
  );
  console.log('Put these in the Values of local.settings.json, then run `func start`:');
  console.log(JSON.stringify(emulator.facadeEnvironment(), null, 2));
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
