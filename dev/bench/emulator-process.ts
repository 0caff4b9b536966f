import { startGraphEmulator } from '../graph-emulator/server';

/**
 * The Graph emulator in a process of its own, for the benchmark. In the benchmark's process it
 * would share one event loop with the load generator, and "Graph direct" would measure that
 * contention rather than Graph; here every server measured has its own process, as in Azure.
 * Prints one line, `BENCH_EMULATOR <json>`, with what the benchmark needs; everything else
 * (throttling, behaviour, stats, requests) goes through the control surface.
 */
async function main(): Promise<void> {
  const emulator = await startGraphEmulator();
  const ready = {
    graphUrl: emulator.graphUrl,
    controlUrl: emulator.controlUrl,
    environment: emulator.facadeEnvironment(),
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void emulator.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The benchmark holds our stdin open: if it dies without stopping us, the pipe closes and so do we.
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`BENCH_EMULATOR ${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
