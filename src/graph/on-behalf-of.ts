import type { AccessToken, TokenCredential } from '@azure/identity';
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';

import { loadIdentity } from '../identity/credential';
import { payloadOf } from '../identity/token-claims';
import { KeptTokenProvider } from './token-provider';

/** Where the On-Behalf-Of exchange happens, and for which app. */
export interface OnBehalfOfOptions {
  /** The tenant of the API's app registration and of its callers. */
  readonly tenantId: string;
  /** The client id of the API's app registration: callers' tokens are for it, and it asks Entra for the exchange. */
  readonly apiClientId: string;
  /** The Entra authority of the cloud (or the local emulator's). */
  readonly authorityHost: string;
  /** The Graph scope of the cloud (`https://graph.microsoft.com/.default`). */
  readonly graphScope: string;
  /**
   * The scope of the managed identity's token that proves the API's identity: the audience its
   * federated identity credential names (`api://AzureADTokenExchange` in the public cloud).
   */
  readonly assertionScope: string;
}

/** A signed-in user the platform vouched for, with the token they called with (the exchange's assertion). */
export interface SignedInUser {
  readonly objectId: string;
  /** The caller's own access token for the API: used for the exchange, never kept, logged or stored. */
  readonly assertion: string;
}

/** Graph tokens for one signed-in user, and what the last exchange said when it failed. */
export interface UserGraphTokens extends AuthenticationProvider {
  readonly objectId: string;
  /** The delegated permissions (`scp`) of the user's Graph token, once one was had. */
  grantedScopes(): readonly string[] | undefined;
  /** Why the exchange failed, in Entra's words (AADSTS code and description), never a token. */
  failure(): string | undefined;
}

/** A Graph token is used until this long before it expires. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** Users whose Graph tokens an instance keeps at most; the least recently used go first. */
const MAX_USERS = 1000;
/** An exchange that has not answered by then has failed: the user's next call asks again rather than wait on it. */
const EXCHANGE_TIMEOUT_MS = 15_000;

interface KeptUserToken {
  token?: AccessToken;
  fetching?: Promise<AccessToken>;
}

/**
 * Graph tokens for signed-in users by the On-Behalf-Of flow, with no secret: the API's app
 * registration trusts the app's managed identity as a federated identity credential, so the
 * client assertion is the managed identity's own token for the exchange audience.
 *
 * A user's Graph token is kept in this instance's memory only, per user and scope, until shortly
 * before it expires; it is never logged or stored. The user's own token is held only while an
 * exchange runs: each exchange makes its credential anew and lets it go.
 */
export class OnBehalfOfTokens {
  private readonly users = new Map<string, KeptUserToken>();
  private readonly assertions: KeptTokenProvider;

  constructor(
    private readonly options: OnBehalfOfOptions,
    appCredential: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {
    this.assertions = new KeptTokenProvider(appCredential, options.assertionScope, now);
  }

  /**
   * Whether the app can prove itself to Entra for the exchange: the managed identity's token for
   * the federated credential's audience. What Entra then says of a user's token is per user.
   */
  async assertionAvailable(deadlineMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await within(this.assertions.getAccessToken(), deadlineMs - this.now(), 'no token within the time budget');
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: describeFailure(error) };
    }
  }

  /** The Graph token source for one call of a signed-in user. */
  forUser(user: SignedInUser): UserGraphTokens {
    let failure: string | undefined;
    let granted: readonly string[] | undefined;
    const getAccessToken = async (): Promise<string> => {
      try {
        const token = await this.tokenFor(user);
        granted = scopesOf(token.token);
        return token.token;
      } catch (error) {
        failure = describeFailure(error);
        throw error;
      }
    };
    return { objectId: user.objectId, getAccessToken, grantedScopes: () => granted, failure: () => failure };
  }

  private async tokenFor(user: SignedInUser): Promise<AccessToken> {
    const key = `${user.objectId}|${this.options.graphScope}`;
    const kept = this.users.get(key) ?? {};
    // Most recently used last, so that the first entry is the one to let go.
    this.users.delete(key);
    this.users.set(key, kept);
    if (this.users.size > MAX_USERS) this.users.delete(this.users.keys().next().value as string);
    if (kept.token && kept.token.expiresOnTimestamp - RENEW_BEFORE_EXPIRY_MS > this.now()) return kept.token;
    // Calls of the same user at once share one exchange.
    kept.fetching ??= this.exchange(user.assertion)
      .then((token) => (kept.token = token))
      .finally(() => (kept.fetching = undefined));
    return kept.fetching;
  }

  private async exchange(assertion: string): Promise<AccessToken> {
    const { OnBehalfOfCredential } = loadIdentity();
    const options = {
      tenantId: this.options.tenantId,
      clientId: this.options.apiClientId,
      getAssertion: () => this.assertions.getAccessToken(),
      userAssertionToken: assertion,
      authorityHost: this.options.authorityHost,
      // The authority is named outright: no discovery call to the public cloud's instance list.
      // The credential passes it on to MSAL, though its options type does not list it.
      disableInstanceDiscovery: true,
    };
    const credential = new OnBehalfOfCredential(options);
    const token = await within(
      credential.getToken(this.options.graphScope),
      EXCHANGE_TIMEOUT_MS,
      'Entra ID did not answer the exchange in time',
    );
    if (!token) throw Object.assign(new Error('the On-Behalf-Of exchange returned no token'), { name: 'AuthenticationError' });
    return token;
  }
}

/** What a promise gives, or an AuthenticationError (a token failure to the gateway) after `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message), { name: 'AuthenticationError' })), Math.max(1, timeoutMs));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The `scp` claim of a Graph token, as a list; the token is not verified here (Graph does that). */
function scopesOf(token: string): readonly string[] {
  try {
    const { scp } = payloadOf(token);
    return typeof scp === 'string' ? scp.split(' ').filter(Boolean) : [];
  } catch {
    return [];
  }
}

/** Entra's reason for a failed exchange (its AADSTS code and first sentence), without anything token-like. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const entra = /AADSTS\d+[^.\n]*\.?/.exec(message)?.[0];
  const said = entra ?? message.split('\n')[0] ?? '';
  // A JWT-shaped run of characters is never repeated, whatever the message held.
  return said.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[token]').slice(0, 300);
}
