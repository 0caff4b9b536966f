import { type AddressInfo, connect } from 'node:net';

import type { HttpHandler } from '@azure/functions';

import { createLocalHost, RegistrationError } from '../../dev/host';
import type { TimedRequest } from '../../dev/local-host/request-times';
import { latin1, rawExchange } from '../support/hostile';
import { SEEDED_PATHS, useStack } from '../support/stack';

const running = useStack();

describe('the local host routes as the Functions host does', () => {
  test.each(['health/', 'HEALTH', 'Health/'])('/api/%s is /api/health', async (path) => {
    const answer = await running().call('GET', path);
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe('ok');
  });

  test('the route prefix matches in any case', async () => {
    const response = await fetch(`${running().baseUrl.replace(/\/api$/, '/API')}/health`);
    expect(response.status).toBe(200);
  });

  test.each(['', '/'])('/api%s reaches the catch-all: problem+json 404', async (suffix) => {
    const response = await fetch(`${running().baseUrl}${suffix}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('the local host survives what one client does to its own connection', () => {
  const alive = async () => (await running().call('GET', 'health')).status;

  test('a client that drops mid-body', async () => {
    const head = `PATCH /api/${SEEDED_PATHS.userStatusSummary} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"pendingCount":`;
    const { hostname, port } = new URL(running().baseUrl);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(head);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 200);
      });
    });
    expect(await alive()).toBe(200);
    expect(running().emulator.requests).toHaveLength(0);
  });

  test.each(['[::zz', 'a b', ''])('a malformed Host header (%j)', async (host) => {
    const request = latin1(`GET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const answer = await rawExchange(running().baseUrl, request);
    expect(answer.statusCode).toBeLessThan(500);
    expect(await alive()).toBe(200);
  });
});

/** Sends a whole request and reads the answer until the host closes (without half-closing first, as real clients do). */
function exchange(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

test('URLs in answers name the host’s own origin, never the Host header the caller sent', async () => {
  const body = JSON.stringify({ userPrincipalName: 'host-header@contoso.example', status: 'compliant' });
  const answer = await exchange(
    running().baseUrl,
    `POST /api/${SEEDED_PATHS.userStatuses} HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  expect(answer).toMatch(/^HTTP\/1\.1 201 /);
  const location = /\r\nlocation: ([^\r]+)/i.exec(answer)?.[1] as string;
  expect(new URL(location).origin).toBe(new URL(running().baseUrl).origin);
  expect(answer).not.toContain('attacker.example');

  // A path that starts with `//` is a path, not another origin.
  const sneaky = await exchange(
    running().baseUrl,
    `POST /.//attacker.example/api/${SEEDED_PATHS.userStatuses} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  expect(sneaky).not.toContain('attacker.example');
});

test('two functions with the same route and a method in common stop the host at start-up', () => {
  const handler: HttpHandler = () => ({ status: 204 });
  const fn = (name: string, route: string, methods: string[]) => ({ name, route, methods, authLevel: 'function', handler });
  expect(() => createLocalHost([fn('First', 'items/{id}', ['GET', 'PATCH']), fn('Second', 'Items/{itemId}', ['PATCH'])])).toThrow(
    RegistrationError,
  );
  expect(() => createLocalHost([fn('First', 'items/{id}', ['GET']), fn('Second', 'items/{id}', ['DELETE'])])).not.toThrow();
});

test('the host times the requests it serves, so that a load run counts what the instance holds', async () => {
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handler: HttpHandler = async (request) => {
    if (request.params.kind === 'slow') await released;
    return { status: 204 };
  };
  const server = createLocalHost([{ name: 'Timed', route: 'timed/{kind}', methods: ['GET'], authLevel: 'anonymous', handler }]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const times = async () => (await (await fetch(`${origin}/admin/host/requests`)).json()) as TimedRequest[];
  try {
    const slow = fetch(`${origin}/api/timed/slow`);
    expect((await fetch(`${origin}/api/timed/quick`)).status).toBe(204);
    const whileOpen = await times();
    expect(whileOpen).toHaveLength(2);
    expect(whileOpen.filter((request) => request.answeredMs === undefined)).toHaveLength(1);
    release();
    expect((await slow).status).toBe(204);
    const after = await times();
    expect(after.every((request) => (request.answeredMs as number) >= request.arrivedMs)).toBe(true);
  } finally {
    release();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
