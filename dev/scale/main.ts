import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { startPrivateAzurite } from '../azurite';
import { BUILT_HOST } from '../host-process';
import { type BudgetMode, formatDetails, formatTable, type ScaleRow } from './figures';
import { runScale } from './suite';

/**
 * `npm run test:scale [-- --seconds 60] [-- --callers 40]`: for 1 and 3 facade hosts, with the
 * write budget shared through the table or kept per instance, callers write for a fixed time
 * against Graph's real throttling; prints one table and writes scale-results.json at the project
 * root. A measurement, not a test: it exits non-zero only when the harness itself fails.
 */

const INSTANCES = [1, 3] as const;
const BUDGETS: readonly BudgetMode[] = ['shared', 'per-instance'];

interface Options {
  readonly seconds: number;
  readonly callers: number;
}

const DEFAULTS: Options = { seconds: 60, callers: 40 };

/** Bounds that keep four runs well inside 10 minutes and the load on one machine sane. */
const LIMITS: Readonly<Record<keyof Options, readonly [number, number]>> = { seconds: [5, 90], callers: [1, 200] };

/** `--seconds N` and `--callers N` (or `--name=N`); anything else is refused, so that a typo is not silently ignored. */
function parseOptions(argv: readonly string[]): Options {
  const options: Record<string, number> = { ...DEFAULTS };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    const match = /^--(seconds|callers)(?:=(.*))?$/.exec(argument);
    if (!match) throw new Error(`unknown argument ${argument}; use --seconds N and --callers N`);
    const name = match[1] as keyof Options;
    const text = match[2] ?? argv[++index];
    const value = Number(text);
    const [min, max] = LIMITS[name];
    if (!/^\d+$/.test(text ?? '') || value < min || value > max)
      throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    options[name] = value;
  }
  return options as unknown as Options;
}

/** The project root, found from the built host's path (dist/dev/host.js) as host-process.ts finds it. */
const RESULTS_FILE = join(dirname(BUILT_HOST), '..', '..', 'scale-results.json');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const runs = INSTANCES.flatMap((instances) => BUDGETS.map((budget) => ({ instances, budget, ...options })));
  console.log(`Scale harness: ${runs.length} runs of ${options.seconds} s, ${options.callers} callers each...`);
  // One Azurite for every run; each run's hosts share it, with tables of their own.
  const azurite = await startPrivateAzurite();
  const rows: ScaleRow[] = [];
  try {
    for (const run of runs) {
      const started = Date.now();
      const { row, details } = await runScale(run, azurite, (line) => console.log(line));
      console.log(`${formatDetails(row, details)}; run took ${Math.round((Date.now() - started) / 1000)} s`);
      rows.push(row);
    }
  } finally {
    await azurite.stop();
  }
  console.log(`\n${formatTable(rows)}\n`);
  await writeFile(RESULTS_FILE, `${JSON.stringify({ runs: rows })}\n`);
  console.log(`Written ${RESULTS_FILE}`);
}

// Exits explicitly: callers cut off at the end of a run may still hold retry timers, which must not keep the process up.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
