import { runReliabilitySuite, SHORT_PROFILE } from '../../dev/reliability/suite';

// The short form of `npm run test:reliability`: the same suite, at Intune's rates over a shorter window.
test('under throttling and injected faults, with callers retrying: every operation ends in its right answer, nothing lost or created twice', async () => {
  const figures = await runReliabilitySuite(SHORT_PROFILE, (line) => process.stdout.write(`\n${line}\n`));
  expect(figures.faultsInjected).toBeGreaterThan(0);
  expect(figures.writesApplied).toBeGreaterThanOrEqual(figures.operations);
  expect(figures.writesLost).toBe(0);
  expect(figures.duplicateCreates).toBe(0);
  expect(figures.wrongFinalAnswers).toBe(0);
  expect(figures.interimWithoutRetryAfter).toBe(0);
}, 240_000);
