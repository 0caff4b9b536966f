import { brokePromise } from './figures';
import { FULL_PROFILE, runReliabilitySuite, SHORT_KILL_PROFILE, SHORT_OUTLASTING_PROFILE, SHORT_PROFILE } from './suite';

// `npm run test:reliability [-- short]`: runs the reliability suite and prints its figures. The
// full profile drives every kind of caller at Intune's real windows and kills a host mid-run;
// `short` runs the three short forms `npm test` runs. Exits non-zero when a promise was broken.
async function main(): Promise<void> {
  const profiles = process.argv.includes('short')
    ? [SHORT_PROFILE, SHORT_OUTLASTING_PROFILE, SHORT_KILL_PROFILE]
    : [FULL_PROFILE];
  let failed = false;
  for (const profile of profiles) {
    console.log(
      `Reliability suite, ${profile.name} profile: ${profile.callers} callers x ${profile.operationsPerCaller} writes, ` +
        `${profile.hosts ?? 1} host(s)${profile.kill ? `, one killed after ${profile.kill.afterSeconds} s` : ''}...`,
    );
    const figures = await runReliabilitySuite(profile, (line) => console.log(line));
    failed ||= brokePromise(figures);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
