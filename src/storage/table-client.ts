import type * as TablesModule from '@azure/data-tables';
import type { TableClient, TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';

import { managedIdentityCredential } from '../identity/credential';
import { tracedHttpClient } from './traced-calls';

type Tables = typeof TablesModule;

/** `@azure/data-tables` is loaded only by an app configured with a table service. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed, on purpose
const loadTables = (): Tables => require('@azure/data-tables') as Tables;

/**
 * How the app reaches its table service: by identity in Azure (the app's own, or the
 * user-assigned one of `clientId`), by connection string on a local emulator such as Azurite.
 */
export type TableConnection =
  { readonly tableServiceUri: string; readonly clientId: string | undefined } | { readonly connectionString: string };

/** Raised when a connection string cannot be used; the message says which setting. */
export class TableConnectionError extends Error {
  override readonly name = 'TableConnectionError';
}

/** A client for one table of the app's storage, and a description of where it is (never a key). */
export function tableClientFor(
  connection: TableConnection,
  tableName: string,
  credential: TokenCredential,
  clientOptions: TableServiceClientOptions,
): { client: TableClient; description: string } {
  // Every request to the table service is a dependency in the app's telemetry.
  const options: TableServiceClientOptions = { ...clientOptions, httpClient: tracedHttpClient('table') };
  const client =
    'connectionString' in connection
      ? fromConnectionString(connection.connectionString, tableName, options)
      : new (loadTables().TableClient)(
          connection.tableServiceUri,
          tableName,
          connection.clientId ? managedIdentityCredential(connection.clientId) : credential,
          options,
        );
  return { client, description: `table storage (${new URL(client.url).origin}, table ${tableName})` };
}

function fromConnectionString(connectionString: string, tableName: string, options: TableServiceClientOptions): TableClient {
  try {
    return loadTables().TableClient.fromConnectionString(connectionString, tableName, {
      ...options,
      allowInsecureConnection: true,
    });
  } catch (error) {
    throw new TableConnectionError(
      `Invalid settings for intune-status-facade: IdempotencyStorage is not a usable connection string (${(error as Error).message})`,
    );
  }
}
