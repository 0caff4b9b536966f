import { type Example } from '../src/catalog/examples';

/**
 * A curl command line for an example against a facade at `baseUrl` (ending in /api), with the
 * caller's token where one is given (a signed-in user's, for operations Graph accepts only from users).
 */
export function curlFor(example: Example, baseUrl: string, bearerToken?: string): string {
  const url = `${baseUrl}/${example.path}${example.graphVersion === 'beta' ? '?graphVersion=beta' : ''}`;
  const body = JSON.stringify(example.body).replace(/'/g, `'\\''`);
  const signIn = bearerToken ? ` -H 'Authorization: Bearer ${bearerToken}'` : '';
  return `curl -sS -i -X ${example.method} '${url}'${signIn} -H 'Content-Type: application/json' -d '${body}'`;
}
