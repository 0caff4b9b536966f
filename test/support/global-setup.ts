import { startAzuriteTables } from '../../dev/azurite';

// One Azurite Table service for the whole run; each test stack uses a table of its own.
export default async function globalSetup(): Promise<void> {
  const azurite = await startAzuriteTables();
  (globalThis as { azuriteStop?: () => Promise<void> }).azuriteStop = azurite.stop;
}
