import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DOCUMENTS } from '../../dev/write-docs';

// What `npm start` runs after its build, and what the README and docs tell a user to paste: every
// local curl must work against it as printed.
const root = join(__dirname, '..', '..');
const DOCUMENTED_BASE = 'http://localhost:7071/api';

/** The curl commands of the documents' shell blocks that call the local host, continuation lines joined. */
function documentedLocalCurls(): string[] {
  return DOCUMENTS.flatMap((document) =>
    [...readFileSync(join(root, document), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) =>
      (block as string)
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter((line) => line.startsWith('curl ') && line.includes(DOCUMENTED_BASE)),
    ),
  );
}

/** Runs a command line in bash; resolves with the HTTP status line curl printed (`-i`) or read from `-w`. */
function run(commandLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', commandLine], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${commandLine} failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

let start: ChildProcess;
let printed = '';
let baseUrl = '';

beforeAll(async () => {
  start = spawn(process.execPath, [join(root, 'dist', 'dev', 'start.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  start.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${printed}`)), 60_000);
    start.stdout?.on('data', (chunk: string) => {
      printed += chunk;
      if (printed.includes('Stop with Ctrl+C.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    start.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${printed}`)));
  });
  baseUrl = /Base URL: (\S+)/.exec(printed)?.[1] as string;
}, 90_000);

afterAll(async () => {
  if (start.exitCode !== null) return;
  const exited = new Promise((resolve) => start.once('exit', resolve));
  start.kill('SIGTERM');
  await exited;
});

test('npm start prints the base URL and a curl for every example', () => {
  expect(baseUrl).toMatch(/^http:\/\/localhost:\d+\/api$/);
  expect(printed.split('\n').filter((line) => line.startsWith('curl '))).toHaveLength(5);
});

test('every curl npm start prints succeeds as printed', async () => {
  const curls = printed.split('\n').filter((line) => line.startsWith('curl '));
  for (const curl of curls) {
    const answer = await run(curl);
    expect(answer).toMatch(/^HTTP\/1\.1 20[01] /);
  }
});

test('every local curl in the README and docs succeeds against npm start', async () => {
  const curls = documentedLocalCurls();
  expect(curls.length).toBeGreaterThan(0);
  for (const curl of curls) {
    const answer = await run(`${curl.replaceAll(DOCUMENTED_BASE, baseUrl)} -o /dev/null -w '%{http_code}'`);
    expect(answer).toMatch(/^20\d$/);
  }
});

test('health and read lines of the welcome work too', async () => {
  for (const line of printed.split('\n').filter((text) => /^(Health|Read):/.test(text))) {
    const command = line.replace(/^\w+:\s+/, '');
    expect(await run(`${command} -o /dev/null -w '%{http_code}'`)).toBe('200');
  }
});

test('the README asynchronous write answers 202, and polling its Location ends with the created status', async () => {
  const asyncCurl = documentedLocalCurls().find((curl) => curl.includes('respond-async'));
  expect(asyncCurl).toBeDefined();
  const accepted = await run((asyncCurl as string).replaceAll(DOCUMENTED_BASE, baseUrl));
  expect(accepted).toMatch(/^HTTP\/1\.1 202 /);
  const location = /^location: (\S+)/im.exec(accepted)?.[1] as string;
  expect(location).toMatch(new RegExp(`^${baseUrl}/operations/`));
  // Polled as a Logic App polls, bounded in count and time.
  let final = '';
  for (let poll = 0; poll < 30; poll++) {
    final = await run(`curl -sS -i '${location}'`);
    if (!final.startsWith('HTTP/1.1 202 ')) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(final).toMatch(/^HTTP\/1\.1 201 /);
  expect(final).toContain('"userPrincipalName":"megan.bowen@contoso.example"');
});
