import * as v from 'valibot';
import { GRAPH_CLOUD_NAMES, graphEndpoints, type GraphCloudEndpoints, type GraphCloudName } from './graph/clouds';

/** Settings read from app settings (Azure) or the environment (local runs). */
export interface Settings {
  readonly cloud: GraphCloudName;
  readonly endpoints: GraphCloudEndpoints;
  /** Set when GRAPH_BASE_URL points the facade at another Graph root, such as the local emulator. */
  readonly graphBaseUrlOverride: string | undefined;
  /** Client id of a user-assigned managed identity; unset means the system-assigned one. */
  readonly managedIdentityClientId: string | undefined;
  /** True where an App Service style managed identity endpoint is present (Azure, or the emulator). */
  readonly managedIdentityAvailable: boolean;
}

const emptyAsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EnvironmentSchema = v.object({
  GRAPH_CLOUD: v.optional(
    v.picklist(GRAPH_CLOUD_NAMES, `GRAPH_CLOUD must be one of ${GRAPH_CLOUD_NAMES.join(', ')}`),
    'Global',
  ),
  GRAPH_BASE_URL: v.optional(
    v.pipe(
      v.string(),
      v.url('GRAPH_BASE_URL must be an absolute URL'),
      v.startsWith('https://', 'GRAPH_BASE_URL must use https: the Graph client attaches tokens to https URLs only'),
    ),
  ),
  AZURE_CLIENT_ID: v.optional(v.pipe(v.string(), v.regex(GUID, 'AZURE_CLIENT_ID must be a client id (a GUID)'))),
  IDENTITY_ENDPOINT: v.optional(v.string()),
  IDENTITY_HEADER: v.optional(v.string()),
});

/** Raised when a setting is invalid; the message names each setting and what it accepts. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads and validates the settings; throws SettingsError naming every bad setting. */
export function loadSettings(environment: Readonly<Record<string, string | undefined>>): Settings {
  const relevant = Object.fromEntries(
    Object.keys(EnvironmentSchema.entries).map((name) => [name, emptyAsUnset(environment[name])]),
  );
  const parsed = v.safeParse(EnvironmentSchema, relevant, { abortEarly: false });
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => issue.message);
    throw new SettingsError(`Invalid settings for intune-status-facade: ${problems.join('; ')}`);
  }
  const env = parsed.output;
  return {
    cloud: env.GRAPH_CLOUD,
    endpoints: graphEndpoints(env.GRAPH_CLOUD, env.GRAPH_BASE_URL),
    graphBaseUrlOverride: env.GRAPH_BASE_URL,
    managedIdentityClientId: env.AZURE_CLIENT_ID,
    managedIdentityAvailable: Boolean(env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER),
  };
}
