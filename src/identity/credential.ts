import type * as IdentityModule from '@azure/identity';
import type { TokenCredential } from '@azure/identity';

type Identity = typeof IdentityModule;

/** Which identity the app is, as its settings say. */
export interface IdentityOptions {
  /** True where an App Service style managed identity endpoint is present (Azure, or the emulator). */
  readonly managedIdentityAvailable: boolean;
  /** Client id of a user-assigned managed identity; unset means the system-assigned one. */
  readonly managedIdentityClientId: string | undefined;
  /** The Entra authority of the Graph cloud, for the developer credential chain. */
  readonly authorityHost: string;
}

/**
 * `@azure/identity` (with MSAL) takes longer to load than the rest of the app: it is loaded when
 * the first token is asked for, which the warm-up does just after start-up, not while the
 * instance registers its functions.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed, on purpose
export const loadIdentity = (): Identity => require('@azure/identity') as Identity;

/**
 * The app's identity, for Graph and for its storage. Where an App Service style managed identity
 * endpoint exists (Azure, or the local emulator), the managed identity and nothing else: a
 * misconfigured app must fail rather than fall back to someone's developer login. Elsewhere the
 * developer chain (environment, Azure CLI, azd, ...) so that `func start` works against a real tenant.
 */
export function createCredential(options: IdentityOptions): TokenCredential {
  return lazyCredential(() => credentialFor(options, loadIdentity()));
}

/** A user-assigned managed identity of the given client id, made on its first token request. */
export function managedIdentityCredential(clientId: string): TokenCredential {
  return lazyCredential(() => new (loadIdentity().ManagedIdentityCredential)({ clientId }));
}

/** A credential made, and `@azure/identity` loaded, on the first token request. */
export function lazyCredential(create: () => TokenCredential): TokenCredential {
  let credential: TokenCredential | undefined;
  return { getToken: (scopes, options) => (credential ??= create()).getToken(scopes, options) };
}

function credentialFor(
  options: IdentityOptions,
  { DefaultAzureCredential, ManagedIdentityCredential }: Identity,
): TokenCredential {
  if (options.managedIdentityAvailable) {
    return options.managedIdentityClientId
      ? new ManagedIdentityCredential({ clientId: options.managedIdentityClientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential({
    authorityHost: options.authorityHost,
    ...(options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {}),
  });
}

/** A one-line, secret-free description of the credential in use, for the health route. */
export function describeCredential(options: IdentityOptions): string {
  if (!options.managedIdentityAvailable) return 'DefaultAzureCredential (developer credentials)';
  return options.managedIdentityClientId
    ? 'ManagedIdentityCredential (user-assigned)'
    : 'ManagedIdentityCredential (system-assigned)';
}
