import type * as IdentityModule from '@azure/identity';
import type { TokenCredential } from '@azure/identity';

import type { Settings } from '../config';

type Identity = typeof IdentityModule;

/**
 * `@azure/identity` (with MSAL) takes longer to load than the rest of the app: it is loaded when
 * the first token is asked for, which the warm-up does just after start-up, not while the
 * instance registers its functions.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed, on purpose
export const loadIdentity = (): Identity => require('@azure/identity') as Identity;

/**
 * The identity the facade calls Graph with. Where an App Service style managed identity endpoint
 * exists (Azure, or the local emulator), the managed identity and nothing else: a misconfigured
 * app must fail rather than fall back to someone's developer login. Elsewhere the developer
 * chain (environment, Azure CLI, azd, ...) so that `func start` works against a real tenant.
 */
export function createCredential(settings: Settings): TokenCredential {
  return lazyCredential(() => credentialFor(settings, loadIdentity()));
}

/** A credential made, and `@azure/identity` loaded, on the first token request. */
export function lazyCredential(create: () => TokenCredential): TokenCredential {
  let credential: TokenCredential | undefined;
  return { getToken: (scopes, options) => (credential ??= create()).getToken(scopes, options) };
}

function credentialFor(settings: Settings, { DefaultAzureCredential, ManagedIdentityCredential }: Identity): TokenCredential {
  if (settings.managedIdentityAvailable) {
    return settings.managedIdentityClientId
      ? new ManagedIdentityCredential({ clientId: settings.managedIdentityClientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential({
    authorityHost: settings.endpoints.authorityHost,
    ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
  });
}

/** A one-line, secret-free description of the credential in use, for the health route. */
export function describeCredential(settings: Settings): string {
  if (!settings.managedIdentityAvailable) return 'DefaultAzureCredential (developer credentials)';
  return settings.managedIdentityClientId
    ? 'ManagedIdentityCredential (user-assigned)'
    : 'ManagedIdentityCredential (system-assigned)';
}
