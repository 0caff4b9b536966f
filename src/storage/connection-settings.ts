import type { QueueConnection } from './queue-client';
import type { TableConnection } from './table-client';

// Where the app's storage is, from its app settings, as the Functions host reads a connection named
// `IdempotencyStorage`: identity-based service URIs in Azure, a connection string locally.

/**
 * The app's table service: identity-based in Azure (the Functions convention
 * `<name>__tableServiceUri`), a connection string only for a local emulator such as Azurite.
 */
export function tableConnection(env: {
  IdempotencyStorage?: string;
  IdempotencyStorage__tableServiceUri?: string;
  IdempotencyStorage__clientId?: string;
}): TableConnection | undefined {
  if (env.IdempotencyStorage__tableServiceUri) {
    return { tableServiceUri: env.IdempotencyStorage__tableServiceUri, clientId: env.IdempotencyStorage__clientId };
  }
  return env.IdempotencyStorage ? { connectionString: env.IdempotencyStorage } : undefined;
}

/**
 * The app's queue service: identity-based in Azure (`<name>__queueServiceUri`), else the same
 * connection string as the tables, when it has a queue service: a string that names its
 * endpoints one by one (as a local emulator's does) must name `QueueEndpoint`.
 */
export function queueConnection(env: {
  IdempotencyStorage?: string;
  IdempotencyStorage__queueServiceUri?: string;
  IdempotencyStorage__clientId?: string;
}): QueueConnection | undefined {
  if (env.IdempotencyStorage__queueServiceUri) {
    return { queueServiceUri: env.IdempotencyStorage__queueServiceUri, clientId: env.IdempotencyStorage__clientId };
  }
  const connectionString = env.IdempotencyStorage;
  if (!connectionString) return undefined;
  const namesEndpoints = /(^|;)\s*\w+Endpoint\s*=/i.test(connectionString);
  const namesQueues = /(^|;)\s*QueueEndpoint\s*=/i.test(connectionString);
  return !namesEndpoints || namesQueues ? { connectionString } : undefined;
}
