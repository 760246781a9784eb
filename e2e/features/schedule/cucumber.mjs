// Gherkin scenarios of the trading schedule, on a fake clock. Run from the repository root:
//   npx cucumber-js --config e2e/features/schedule/cucumber.mjs
// Step definitions are TypeScript; support/register-tsx.mjs (imported first) loads them through tsx.
export default {
  paths: ['e2e/features/schedule/**/*.feature'],
  import: ['e2e/features/schedule/support/register-tsx.mjs', 'e2e/features/schedule/steps/**/*.ts'],
  strict: true,
}
