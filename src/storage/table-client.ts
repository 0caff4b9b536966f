import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { ManagedIdentityCredential } from '@azure/identity';

import { SettingsError } from '../config';

/** How the app reaches its table service: by identity in Azure, by connection string on a local emulator such as Azurite. */
export type TableConnection =
  { readonly tableServiceUri: string; readonly clientId: string | undefined } | { readonly connectionString: string };

/** A client for one table of the app's storage, and a description of where it is (never a key). */
export function tableClientFor(
  connection: TableConnection,
  tableName: string,
  credential: TokenCredential,
  options: TableServiceClientOptions,
): { client: TableClient; description: string } {
  const client =
    'connectionString' in connection
      ? fromConnectionString(connection.connectionString, tableName, options)
      : new TableClient(
          connection.tableServiceUri,
          tableName,
          connection.clientId ? new ManagedIdentityCredential({ clientId: connection.clientId }) : credential,
          options,
        );
  return { client, description: `table storage (${new URL(client.url).origin}, table ${tableName})` };
}

function fromConnectionString(connectionString: string, tableName: string, options: TableServiceClientOptions): TableClient {
  try {
    return TableClient.fromConnectionString(connectionString, tableName, { ...options, allowInsecureConnection: true });
  } catch (error) {
    throw new SettingsError(
      `Invalid settings for intune-status-facade: IdempotencyStorage is not a usable connection string (${(error as Error).message})`,
    );
  }
}
