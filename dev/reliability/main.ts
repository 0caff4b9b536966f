import { FULL_PROFILE, runReliabilitySuite, SHORT_PROFILE } from './suite';

// `npm run test:reliability [-- short]`: runs the reliability suite and prints its figures.
// Exits non-zero when a write was lost, a create duplicated, an operation ended in a wrong
// answer, or an answer the callers retried came without Retry-After.
async function main(): Promise<void> {
  const profile = process.argv.includes('short') ? SHORT_PROFILE : FULL_PROFILE;
  console.log(
    `Reliability suite, ${profile.name} profile: ${profile.callers} callers x ${profile.operationsPerCaller} writes...`,
  );
  const figures = await runReliabilitySuite(profile, (line) => console.log(line));
  const failed = figures.writesLost + figures.duplicateCreates + figures.wrongFinalAnswers + figures.interimWithoutRetryAfter > 0;
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
