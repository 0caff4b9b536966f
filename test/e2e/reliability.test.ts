import {
  type ReliabilityProfile,
  runReliabilitySuite,
  SHORT_KILL_PROFILE,
  SHORT_OUTLASTING_PROFILE,
  SHORT_PROFILE,
} from '../../dev/reliability/suite';

// The short forms of `npm run test:reliability`: the same suite, at Intune's rates over a shorter window.
async function expectEveryWriteMadeOnceAndAnswered(profile: ReliabilityProfile) {
  const figures = await runReliabilitySuite(profile, (line) => process.stdout.write(`\n${line}\n`));
  expect(figures.faultsInjected).toBeGreaterThan(0);
  expect(figures.writesApplied).toBeGreaterThanOrEqual(figures.operations);
  expect(figures.byCaller.map((caller) => caller.profile).sort()).toEqual(
    [...new Set(profile.callerKinds.map((kind) => kind.profile))].sort(),
  );
  // Each wrong final answer by name first, so that a failure shows what the caller got.
  expect(figures.wrongAnswers).toEqual([]);
  expect(figures.byCaller.filter((caller) => caller.lost + caller.duplicates + caller.wrongFinal > 0)).toEqual([]);
  expect(figures.writesLost).toBe(0);
  expect(figures.duplicateCreates).toBe(0);
  expect(figures.wrongFinalAnswers).toBe(0);
  expect(figures.comeBackWithoutRetryAfter).toBe(0);
  return figures;
}

test('callers that wait for their writes, under throttling and injected faults: every operation ends in its right answer, nothing lost or created twice', async () => {
  await expectEveryWriteMadeOnceAndAnswered(SHORT_PROFILE);
}, 240_000);

test('a webhook that never retries, Power Automate on its low profile and Logic Apps asking for 202: every write made once, every final answer right', async () => {
  const figures = await expectEveryWriteMadeOnceAndAnswered(SHORT_OUTLASTING_PROFILE);
  // The webhook and the Logic App asked for 202: each of their writes was accepted, then finished by the app.
  expect(figures.accepted).toBeGreaterThanOrEqual((figures.operations * 2) / 3);
}, 240_000);

test('a host killed with SIGKILL mid-run and replaced: the writes it held are finished by the others, once', async () => {
  const figures = await expectEveryWriteMadeOnceAndAnswered(SHORT_KILL_PROFILE);
  expect(figures.hostsKilled).toBe(1);
  // The kill cut off at least one request its callers then retried on the other host.
  expect(figures.unanswered).toBeGreaterThan(0);
}, 240_000);
