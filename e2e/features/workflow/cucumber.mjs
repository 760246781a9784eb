// Gherkin scenarios of Save & Restart, on the real engine and real files. Run from the repository root,
// inside the test environment:
//   bash scripts/with-test-env.sh npx cucumber-js --config e2e/features/workflow/cucumber.mjs
// Step definitions are TypeScript; support/register-tsx.mjs (imported first) loads them through tsx.
export default {
  paths: ['e2e/features/workflow/**/*.feature'],
  import: ['e2e/features/workflow/support/register-tsx.mjs', 'e2e/features/workflow/steps/**/*.ts'],
  strict: true,
}
