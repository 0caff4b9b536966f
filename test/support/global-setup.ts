import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startPrivateAzurite } from '../../dev/azurite';

// One Azurite (Table and Queue services) of the run's own for the whole run; each test stack uses
// tables of its own, each queue test queues of its own.
// Every facade host of the run keeps its output in the run folder, audited at the end.
export default async function globalSetup(): Promise<void> {
  const runDirectory = mkdtempSync(join(tmpdir(), 'facade-test-run-'));
  mkdirSync(join(runDirectory, 'hosts'));
  process.env.FACADE_TEST_RUN_DIR = runDirectory;
  process.env.HOST_OUTPUT_DIR = join(runDirectory, 'hosts');
  const azurite = await startPrivateAzurite();
  process.env.FACADE_TEST_STORAGE = azurite.connectionString;
  // The made-up account key is a secret like any other: the audit checks that no log shows it.
  const accountKey = /AccountKey=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
  appendFileSync(join(runDirectory, 'secrets.txt'), `${accountKey}\n`);
  (globalThis as { azuriteStop?: () => Promise<void> }).azuriteStop = () => azurite.stop();
}
