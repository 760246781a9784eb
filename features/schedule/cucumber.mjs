// Gherkin scenarios of the trading schedule, on a fake clock. Run from the repository root:
//   npx cucumber-js --config features/schedule/cucumber.mjs
// Step definitions are TypeScript; support/register-tsx.mjs (imported first) loads them through tsx.
export default {
  paths: ['features/schedule/**/*.feature'],
  import: ['features/schedule/support/register-tsx.mjs', 'features/schedule/steps/**/*.ts'],
  strict: true,
}
