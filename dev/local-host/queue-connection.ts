import { QueueServiceClient } from '@azure/storage-queue';

import { isValidQueueName } from './queue-messages';

/** App settings as the host reads them: environment variables, `__` for a section's children. */
export type AppSettings = Readonly<Record<string, string | undefined>>;

/** Where a queue trigger's storage account is, once its `connection` is resolved from the app settings. */
export type QueueConnection =
  | { readonly kind: 'connection-string'; readonly setting: string; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly setting: string;
      readonly queueServiceUri: string;
      /** A user-assigned identity's client id (`__clientId`); the default credential otherwise. */
      readonly clientId?: string;
    };

/** A setting's value, its name matched in any case as .NET configuration matches it. */
function settingValue(settings: AppSettings, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(settings).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : settings[key];
}

/** The children of a section (`name__child`), by lower-cased child name. */
function sectionChildren(settings: AppSettings, name: string): Map<string, string> {
  const prefix = `${name.toLowerCase()}__`;
  const children = new Map<string, string>();
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined && key.toLowerCase().startsWith(prefix)) children.set(key.slice(prefix.length).toLowerCase(), value);
  }
  return children;
}

function fromSetting(settings: AppSettings, name: string): QueueConnection | undefined {
  const connectionString = settingValue(settings, `ConnectionStrings__${name}`) ?? settingValue(settings, name);
  if (connectionString) return { kind: 'connection-string', setting: name, connectionString };
  const children = sectionChildren(settings, name);
  const accountName = children.get('accountname');
  const queueServiceUri =
    children.get('queueserviceuri') ??
    children.get('serviceuri') ??
    (accountName ? `https://${accountName}.queue.core.windows.net` : undefined);
  if (!queueServiceUri) return undefined;
  const clientId = children.get('clientid');
  return { kind: 'identity', setting: name, queueServiceUri, ...(clientId ? { clientId } : {}) };
}

/**
 * A trigger's `connection` resolved as the Functions host resolves it: `AzureWebJobs<name>` first,
 * then `<name>`; each a connection string (`ConnectionStrings__<name>` or the setting itself) or
 * an identity-based section (`<name>__queueServiceUri`, `__serviceUri` or `__accountName`, with
 * `__clientId`). No name means `AzureWebJobsStorage`. A string is the reason when nothing is found.
 */
export function resolveQueueConnection(connection: string, settings: AppSettings): QueueConnection | string {
  const name = connection.trim() === '' ? 'Storage' : connection.trim();
  const found = fromSetting(settings, `AzureWebJobs${name}`) ?? fromSetting(settings, name);
  if (found) return found;
  if (name === 'Storage')
    return 'no storage connection: the trigger names none, so AzureWebJobsStorage must be a connection string, or AzureWebJobsStorage__queueServiceUri be set for an identity';
  return `no storage connection named ${JSON.stringify(name)}: set ${name} (or AzureWebJobs${name}) to a connection string, or ${name}__queueServiceUri for an identity`;
}

/**
 * A trigger's queue name as the host uses it: each `%setting%` replaced by the setting's value,
 * then lower-cased, then checked against the service's rules. A string is the reason when the
 * name cannot be used.
 */
export function resolveQueueName(queueName: string, settings: AppSettings): { name: string } | string {
  const unresolved: string[] = [];
  const resolved = queueName.replace(/%([^%]+)%/g, (whole, setting: string) => {
    const value = settingValue(settings, setting);
    if (value === undefined) unresolved.push(setting);
    return value ?? whole;
  });
  if (unresolved.length > 0)
    return `the queue name ${JSON.stringify(queueName)} names settings that are not set: ${unresolved.join(', ')}`;
  const name = resolved.toLowerCase();
  if (!isValidQueueName(name))
    return `${JSON.stringify(name)} is not a valid queue name (3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)`;
  return { name };
}

/**
 * The queue service client for a connection. A connection string (Azurite's included) is used as
 * it is; an identity-based connection uses DefaultAzureCredential (a developer's `az login`
 * locally, the managed identity in Azure), loaded only when needed.
 */
export async function queueServiceFor(connection: QueueConnection): Promise<QueueServiceClient> {
  if (connection.kind === 'connection-string') return QueueServiceClient.fromConnectionString(connection.connectionString);
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential(
    connection.clientId ? { managedIdentityClientId: connection.clientId } : undefined,
  );
  return new QueueServiceClient(connection.queueServiceUri, credential);
}

/** The connection for a log line: the setting and the endpoint, never a key or a SAS token. */
export function describeQueueConnection(connection: QueueConnection, service: QueueServiceClient): string {
  const endpoint = new URL(service.url);
  endpoint.search = '';
  const how = connection.kind === 'connection-string' ? 'connection string' : 'identity (DefaultAzureCredential)';
  return `${connection.setting}, ${how}, ${endpoint.toString()}`;
}
