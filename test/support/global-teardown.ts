import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const AUTHORIZATION = /\bBearer\s+\S|authorization["']?\s*[:=]/i;

/**
 * The secrets audit of the whole run: the output of every facade host started by any test is
 * searched for every token the emulators issued, the identity header and the function keys the
 * callers sent, and for anything shaped like a JWT or an Authorization value. A find fails the run.
 */
function auditLogs(runDirectory: string): string[] {
  const hostsFolder = join(runDirectory, 'hosts');
  const logs = readdirSync(hostsFolder).map((file) => ({ file, text: readFileSync(join(hostsFolder, file), 'utf8') }));
  const secretsFile = join(runDirectory, 'secrets.txt');
  const secrets = existsSync(secretsFile)
    ? readFileSync(secretsFile, 'utf8')
        .split('\n')
        .filter((line) => line.length >= 16)
    : [];
  const problems: string[] = [];
  if (logs.length === 0) {
    process.stdout.write('\nSecrets audit: no facade host ran in this run; nothing to audit\n');
    return problems;
  }
  for (const { file, text } of logs) {
    const leaked = secrets.filter((secret) => text.includes(secret)).length;
    if (leaked > 0) problems.push(`${file} contains ${leaked} secret(s) handed out in this run`);
    if (JWT.test(text)) problems.push(`${file} contains something shaped like a JWT`);
    if (AUTHORIZATION.test(text)) problems.push(`${file} contains an Authorization value`);
  }
  process.stdout.write(
    `\nSecrets audit: ${logs.length} host logs searched for ${secrets.length} secrets handed out in this run: ${problems.length === 0 ? 'none found' : 'FOUND'}\n`,
  );
  return problems;
}

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { azuriteStop?: () => Promise<void> }).azuriteStop?.();
  const runDirectory = process.env.FACADE_TEST_RUN_DIR;
  if (!runDirectory) return;
  const problems = auditLogs(runDirectory);
  if (problems.length > 0) throw new Error(`Secrets audit failed (logs kept in ${runDirectory}):\n${problems.join('\n')}`);
  rmSync(runDirectory, { recursive: true, force: true });
}
