import { connect } from 'node:net';

import { MAX_BODY_BYTES, MAX_BODY_DEPTH, MAX_BODY_VALUES } from '../../src/http/body';
import { MAX_LISTED_ERRORS } from '../../src/http/problem';
import { SEEDED_PATHS, useStack, withStack } from '../support/stack';

const running = useStack();
const summary = SEEDED_PATHS.userStatusSummary;
const statuses = SEEDED_PATHS.userStatuses;

/** Sends only the head of a request and the first bytes of its body; resolves with the status line, or 'closed'. */
function sendHeadOnly(baseUrl: string, path: string, contentLength: number): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `PATCH /api/${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{"pendingCount":`,
      );
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer while the body was still expected');
    }, 5000);
    socket.on('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.on('error', () => resolve('closed'));
  });
}

describe('bodies are bounded before anything reads them whole', () => {
  test('a Content-Length over the limit is refused with 413 at once, before the body arrives', async () => {
    expect(await sendHeadOnly(running().baseUrl, summary, 200 * 1024 * 1024)).toBe('HTTP/1.1 413 Payload Too Large');
    expect(running().emulator.requests).toHaveLength(0);
  });

  test('a body over the limit without Content-Length (chunked) is refused with 413 once the limit is passed', async () => {
    const chunks = async function* () {
      for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 16 * 1024) yield new TextEncoder().encode(' '.repeat(16 * 1024));
    };
    const response = await fetch(`${running().baseUrl}/${summary}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: ReadableStream.from(chunks()),
      duplex: 'half',
    });
    expect(response.status).toBe(413);
  });

  test.each([
    ['an accepted-and-dropped member (id)', 'id'],
    ['an annotation', '@odata.context'],
    ['an unknown member', 'unknownMember'],
  ])('%s nested thousands of levels deep: 400 with or without a key, never a 500', async (_name, member) => {
    const deep = `{"status":"compliant","userPrincipalName":"deep@contoso.example","${member}":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const headers of [{}, { 'idempotency-key': `deep-${member}` }] as Record<string, string>[]) {
      const answer = await running().call('POST', statuses, {
        rawBody: deep,
        headers: { 'content-type': 'application/json', ...headers },
      });
      expect(answer.status).toBe(400);
      expect(answer.json.detail).toContain(`deeper than ${MAX_BODY_DEPTH}`);
    }
    expect(running().emulator.requests).toHaveLength(0);
  });

  test('a body of many members is refused with 400, and the answer stays small', async () => {
    const members = Array.from({ length: MAX_BODY_VALUES + 1 }, (_, index) => `"m${index}":0`).join(',');
    const answer = await running().call('PATCH', summary, {
      rawBody: `{${members}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.text.length).toBeLessThan(1024);
  });

  test('a 422 lists the accepted properties once and the first errors, counting the rest', async () => {
    const unknown = Array.from({ length: 600 }, (_, index) => `"unknownProperty${index}":0`).join(',');
    const answer = await running().call('PATCH', summary, {
      rawBody: `{${unknown}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(422);
    expect(answer.json.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(answer.json.moreErrors).toBe(600 - MAX_LISTED_ERRORS);
    expect(answer.json.acceptedProperties).toContain('pendingCount');
    expect(answer.text.length).toBeLessThan(8 * 1024);
  });
});

describe('the health route', () => {
  test('shows configured URLs as origins only: no path, query or credentials', async () => {
    // Health calls nothing, so the settings need not point at anything that answers.
    await withStack(
      {
        idempotencyStore: 'memory',
        facadeEnvironment: {
          GRAPH_BASE_URL: 'https://operator:graph-pa55word@graph.example.invalid:8443/private-path?sig=graph-s3cret',
          IdempotencyStorage__tableServiceUri: 'https://account.table.core.windows.net/?sv=2024-01-01&sig=table-s3cret',
        },
      },
      async (withSecrets) => {
        const health = await withSecrets.call('GET', 'health');
        expect(health.status).toBe(200);
        expect(health.json.graphRoot).toBe('https://graph.example.invalid:8443');
        expect(health.json.idempotencyStore).toContain('https://account.table.core.windows.net');
        for (const secret of ['graph-pa55word', 'operator', 'private-path', 'graph-s3cret', 'table-s3cret', 'sig=']) {
          expect(health.text).not.toContain(secret);
        }
      },
    );
  });
});
