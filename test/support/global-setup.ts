import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzuriteTables } from '../../dev/azurite';

// One Azurite Table service for the whole run; each test stack uses a table of its own.
// Every facade host of the run keeps its output in the run folder, audited at the end.
export default async function globalSetup(): Promise<void> {
  const runDirectory = mkdtempSync(join(tmpdir(), 'facade-test-run-'));
  mkdirSync(join(runDirectory, 'hosts'));
  process.env.FACADE_TEST_RUN_DIR = runDirectory;
  process.env.HOST_OUTPUT_DIR = join(runDirectory, 'hosts');
  const azurite = await startAzuriteTables();
  (globalThis as { azuriteStop?: () => Promise<void> }).azuriteStop = azurite.stop;
}
