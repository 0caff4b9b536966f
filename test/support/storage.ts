/**
 * The run's own Azurite (test/support/global-setup.ts): one connection string naming its Table and
 * Queue services, with the account and key made up for the run.
 */
export function testStorage(): string {
  const connectionString = process.env.FACADE_TEST_STORAGE;
  if (!connectionString) throw new Error('no Azurite for this run: jest globalSetup did not run');
  return connectionString;
}
