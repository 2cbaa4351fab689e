// A test that needs something from outside the repository (a binary such as
// prometheus) skips without it on a developer's machine, saying what is
// missing. In CI (CI set, as CI systems and .ci/run do) the same absence
// fails the run instead: a broken install must never pass as green.

const IN_CI = ['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase()) === false;

/** node:test's `skip` value: false when available; the reason to skip otherwise; throws in CI. */
export function skipUnless(available: boolean, missing: string): false | string {
  return available ? false : missingPrerequisite(missing);
}

/** For a test that finds out while running: the reason to pass to t.skip; throws in CI. */
export function missingPrerequisite(missing: string): string {
  if (IN_CI) throw new Error(`${missing}; in CI a missing prerequisite fails the run`);
  return missing;
}
