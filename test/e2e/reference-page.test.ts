import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Request } from 'playwright-core';

import { CATALOG, examplePath, operationNamed } from '../../src/catalog/operations';
import { launchChromium } from '../support/browser';
import { useStack } from '../support/stack';

// The reference page in a real browser: it renders from the host's own assets with nothing
// outside reachable, lists every operation, and a "try it" PATCH with the function key entered
// on the page reaches the emulator-backed host and answers 200. The browser is the Chromium that
// ships inside an npm package (test/support/browser.ts), so `npm install` is all the set-up.

/** Where the screenshot is kept for a person to look at (git-ignored). */
const SCREENSHOTS = join(__dirname, '..', '..', 'test-results');

const running = useStack();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

test('/api/docs renders offline, lists every operation, and a "try it" PATCH answers 200', async () => {
  const origin = new URL(running().baseUrl).origin;
  const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
  const requests: Request[] = [];
  page.on('request', (request) => requests.push(request));
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(`${running().baseUrl}/docs`);
  await page.locator('.opblock').first().waitFor({ timeout: 30_000 });

  // Every operation is listed, by its operationId, and nothing else: the catalog's, and the status of a write accepted with 202.
  expect(await page.locator('.opblock').count()).toBe(CATALOG.length + 1);
  await expect(page.locator('[id$="-GetWriteOperation"]').count()).resolves.toBe(1);
  for (const operation of CATALOG) {
    await expect(page.locator(`[id$="-${operation.name}"]`).count()).resolves.toBe(1);
  }

  // The function key is entered on the page.
  const functionKey = 'reference-page-test-key';
  await page.locator('.btn.authorize').first().click();
  await page.locator('.modal-ux input[type="text"], .modal-ux input[type="password"]').first().fill(functionKey);
  await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
  await page.locator('.modal-ux .btn-done').click();

  // "Try it": the device compliance overview PATCH, with the page's own example body.
  const operation = operationNamed('UpdateDeviceCompliancePolicyUserStatusOverview');
  const block = page.locator(`[id$="-${operation.name}"]`);
  await block.locator('.opblock-summary').first().click();
  await block.locator('.try-out__btn').click();
  const policyId = examplePath(operation).split('/')[1] as string;
  await block.locator('.parameters input[placeholder="policyId"]').fill(policyId);
  await block.locator('.execute').click();
  const status = block.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 30_000 });
  expect((await status.textContent())?.trim()).toBe('200');

  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'reference-page.png'), fullPage: false });

  // The PATCH went to this host, with the key from the page, and the page loaded nothing from elsewhere.
  const patch = requests.find((request) => request.method() === 'PATCH');
  const sent = new URL(patch?.url() ?? 'about:blank');
  expect(`${sent.origin}${sent.pathname}`).toBe(`${running().baseUrl}/${examplePath(operation)}`);
  expect(await patch?.headerValue('x-functions-key')).toBe(functionKey);
  expect(requests.map((request) => new URL(request.url()).origin).filter((other) => other !== origin)).toEqual([]);
  expect(pageErrors).toEqual([]);
  await page.close();
});
