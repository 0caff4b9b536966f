import { type Example } from '../src/catalog/examples';

/** A curl command line for an example against a facade at `baseUrl` (ending in /api). */
export function curlFor(example: Example, baseUrl: string): string {
  const url = `${baseUrl}/${example.path}${example.graphVersion === 'beta' ? '?graphVersion=beta' : ''}`;
  const body = JSON.stringify(example.body).replace(/'/g, `'\\''`);
  return `curl -sS -i -X ${example.method} '${url}' -H 'Content-Type: application/json' -d '${body}'`;
}
