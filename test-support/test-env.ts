/**
 * Outside the test environment a suite that needs a real part skips, and says why. Inside it
 * (`npm test` sets STACKDECK_TEST_ENV_REQUIRED=1) a missing part is a failure: a green run must
 * never hide suites that did not run.
 */
export function requireInSuite(has: boolean, what: string): void {
  if (!has && process.env.STACKDECK_TEST_ENV_REQUIRED === '1')
    throw new Error(`${what} is missing, but this run requires the test environment (STACKDECK_TEST_ENV_REQUIRED=1): scripts/with-test-env.sh did not start it`)
}
