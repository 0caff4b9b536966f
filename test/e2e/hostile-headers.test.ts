/**
 * Hostile header values over a raw socket: injected lines, odd but legal values, control
 * characters. No response header is split or reflected, and nothing reaches Graph.
 */
import fc from 'fast-check';

import { type RawAnswer, rawExchange, rawRequest } from '../support/hostile';
import {
  check,
  expectNoGraphCall,
  forgetGraphCalls,
  hostileStack,
  PROBLEM_JSON,
  SAFE_TOKEN,
  useHostileStack,
  UUID,
} from '../support/hostile-suite';
import { SEEDED_IDS } from '../support/stack';

useHostileStack();

/** Requests that are refused whatever their headers say (invalid body, wrong method, no route): none may reach Graph. */
const INVALID_RAW_TARGETS = [
  {
    method: 'PATCH',
    path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-status-summary`,
    body: '{"colour":1}',
  },
  { method: 'POST', path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`, body: '{}' },
  {
    method: 'PATCH',
    path: `mobile-apps/${SEEDED_IDS.mobileApp}/install-summary?graphVersion=v1.0`,
    body: '{"installedDeviceCount":1}',
  },
  {
    method: 'PUT',
    path: `device-compliance-policies/${SEEDED_IDS.deviceCompliancePolicy}/user-status-overview`,
    body: '{"failedCount":1}',
  },
  { method: 'GET', path: 'mobile-apps/bad%20id/install-summary' },
  { method: 'DELETE', path: 'no/such/route' },
] as const;

const INJECTED_HEADER = 'X-Injected';
const HEADER_NAMES = ['client-request-id', 'x-ms-client-request-id', 'Content-Type'] as const;

/** The raw request for a target with one header line `name: value` written byte for byte. */
function injectedRequest(target: (typeof INVALID_RAW_TARGETS)[number], name: string, value: string): Buffer {
  const contentType = name === 'Content-Type' ? [] : ['Content-Type: application/json'];
  const body = 'body' in target ? target.body : undefined;
  return rawRequest(
    hostileStack().baseUrl,
    target.method,
    target.path,
    [...(body === undefined ? [] : contentType), `${name}: ${value}`],
    body,
  );
}

/** No response header line was injected or split, whatever the request held. */
function expectNoInjectedHeader(answer: RawAnswer): void {
  expect(
    answer.headerLines.filter((line) => /^x-injected/i.test(line.trimStart()) || /[\r\n\0]/.test(line) || line.includes('evil')),
  ).toEqual([]);
}

/** The full caller-facing contract, read from a raw answer. */
function expectRawProblem(answer: RawAnswer): void {
  expect(answer.statusCode).toBeGreaterThanOrEqual(400);
  expect(answer.statusCode).toBeLessThan(500);
  expect(answer.headers.get('content-type')).toMatch(PROBLEM_JSON);
  expect(answer.headers.get('client-request-id')).toMatch(SAFE_TOKEN);
  expect(JSON.parse(answer.body)).toMatchObject({
    status: answer.statusCode,
    type: expect.stringMatching(/^urn:intune-status-facade:problem:/),
  });
}

describe('header injection over a raw socket', () => {
  const safeToken = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);
  /** Header-value text HTTP allows (visible ASCII, space, tab, obs-text), so the request itself stays well formed. */
  const allowedText = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 30 }),
    fc.string({ unit: fc.constantFrom('\t', ' ', '"', ',', ';', '=', 'é', '\xff', '\x80'), maxLength: 10 }),
    // UTF-8 bytes of unicode text, sent as they are.
    fc.string({ unit: 'grapheme', maxLength: 10 }).map((text) => Buffer.from(text, 'utf8').toString('latin1')),
    fc.string({ minLength: 129, maxLength: 300, unit: fc.constantFrom('a', '1', '-') }),
  );

  // A caller's CRLF must end its own header line, never add one to the response; an unsafe id
  // is replaced, a safe one is echoed (so the caller can still correlate).
  test('CRLF-injected header lines and odd but legal header values: full contract, nothing reflected', async () => {
    const caseArb = fc.record({
      target: fc.constantFrom(...INVALID_RAW_TARGETS),
      name: fc.constantFrom(...HEADER_NAMES),
      prefix: fc.oneof(safeToken, allowedText, fc.constantFrom('application/json', 'application/json; charset=utf-8')),
      inject: fc.boolean(),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, name, prefix, inject }) => {
        forgetGraphCalls();
        const value = inject ? `${prefix}\r\n${INJECTED_HEADER}: evil` : prefix;
        const answer = await rawExchange(hostileStack().baseUrl, injectedRequest(target, name, value));
        expectRawProblem(answer);
        expectNoInjectedHeader(answer);
        if (name !== 'Content-Type') {
          const sent = prefix.replace(/^[ \t]+|[ \t]+$/g, '');
          const echoed = answer.headers.get('client-request-id');
          if (SAFE_TOKEN.test(sent)) expect(echoed).toBe(sent);
          else expect(echoed).toMatch(UUID);
        }
        expectNoGraphCall();
      }),
    );
  });

  // Bare CR, bare LF, NUL and other control characters make the request malformed HTTP. Such a
  // request may be refused by the HTTP layer (Node's parser answers a bare 400 before any function
  // runs, as Azure's front end would), but never with a 5xx, never with a split or injected header,
  // and never with a Graph call; when the facade does answer, it is the full contract.
  test('control characters in header values: no 5xx, no header splitting, no Graph call', async () => {
    const control = fc.oneof(
      fc.constantFrom('\r', '\n', '\0', '\x7f', '\r\n ', '\r\n\t', '\n '),
      fc
        .integer({ min: 0x01, max: 0x1f })
        .filter((code) => code !== 0x09)
        .map((code) => String.fromCharCode(code)),
    );
    const caseArb = fc.record({
      target: fc.constantFrom(...INVALID_RAW_TARGETS),
      name: fc.constantFrom(...HEADER_NAMES),
      prefix: fc.oneof(safeToken, fc.constant('application/json')),
      control,
      suffix: fc.constantFrom(`${INJECTED_HEADER}: evil`, 'evil', ''),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, name, prefix, control: bad, suffix }) => {
        forgetGraphCalls();
        const answer = await rawExchange(hostileStack().baseUrl, injectedRequest(target, name, `${prefix}${bad}${suffix}`));
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode).toBeLessThan(500);
        expectNoInjectedHeader(answer);
        if (answer.headers.has('client-request-id')) expectRawProblem(answer);
        else expect({ status: answer.statusCode, body: answer.body }).toEqual({ status: 400, body: '' }); // the HTTP parser's refusal
        expectNoGraphCall();
      }),
    );
  });
});
