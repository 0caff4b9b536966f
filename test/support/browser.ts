import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { type Browser, chromium } from 'playwright-core';

/**
 * The packaged browser's flags that would loosen what a page is tested for (the same-origin policy
 * and mixed content); they are left out.
 */
const LOOSENING_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);
/** A closed network: no background calls out. */
const CLOSED_NETWORK_FLAGS = [
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Where the Chromium inside the `@sparticuz/chromium` npm package is unpacked, and its flags.
 * The package is an ES module that jest's module system cannot load, so a Node process of its own
 * asks it.
 */
async function packagedChromium(): Promise<{ executablePath: string; args: string[] }> {
  const script = [
    "import chromium from '@sparticuz/chromium';",
    'console.log(JSON.stringify({ executablePath: await chromium.executablePath(), args: chromium.args }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '..', '..'),
  });
  return JSON.parse(stdout) as { executablePath: string; args: string[] };
}

/**
 * A headless Chromium: the one that ships inside an npm package, so that `npm install` is all the
 * set-up, or a system browser when CHROMIUM_PATH names one.
 */
export async function launchChromium(): Promise<Browser> {
  const systemBrowser = process.env.CHROMIUM_PATH;
  const { executablePath, args } = systemBrowser
    ? { executablePath: systemBrowser, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] }
    : await packagedChromium();
  return chromium.launch({
    executablePath,
    args: [...args, ...CLOSED_NETWORK_FLAGS].filter((flag) => !LOOSENING_FLAGS.has(flag)),
  });
}
