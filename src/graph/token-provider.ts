import type { AccessToken, TokenCredential } from '@azure/identity';
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';

/** A token is renewed this long before it expires, so that no call carries one that expires on the way. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The Graph client's token source: the credential's token, kept here until shortly before it
 * expires. Every call otherwise asks the credential, which looks the token up in MSAL's cache
 * and builds an error object on the way; here the happy path is one comparison. Concurrent
 * calls while a token is being fetched share that one fetch.
 */
export class KeptTokenProvider implements AuthenticationProvider {
  private kept: AccessToken | undefined;
  private fetching: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly now: () => number = Date.now,
  ) {}

  async getAccessToken(): Promise<string> {
    if (this.kept && this.kept.expiresOnTimestamp - RENEW_BEFORE_EXPIRY_MS > this.now()) return this.kept.token;
    this.fetching ??= this.fetch().finally(() => (this.fetching = undefined));
    return (await this.fetching).token;
  }

  private async fetch(): Promise<AccessToken> {
    const token = await this.credential.getToken(this.scope);
    // The credential's own errors (CredentialUnavailableError, AuthenticationError) pass through as they are.
    if (!token)
      throw Object.assign(new Error('the credential returned no token for Microsoft Graph'), { name: 'AuthenticationError' });
    this.kept = token;
    return token;
  }
}
