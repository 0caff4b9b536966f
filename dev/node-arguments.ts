import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js arguments the app's worker runs with in Azure (infra/app/node-arguments.json, set
 * by the Bicep as `languageWorkers__node__arguments`), read from that one file so that the local
 * host runs the app the same way. Why these: see infra/app/function-app.bicep.
 */
export function workerArguments(projectRoot: string): string[] {
  const file = join(projectRoot, 'infra', 'app', 'node-arguments.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { workerArguments: string[] }).workerArguments;
}
