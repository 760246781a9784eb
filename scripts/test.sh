#!/usr/bin/env bash
# `npm test`: the whole suite. Lint, typecheck, build and unit tests run first; then, inside a private
# Docker engine and Redis that scripts/with-test-env.sh starts and tears down, the integration tests,
# the Gherkin features and the Playwright e2e specs. Every suite runs even if an earlier one failed,
# and the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/*.json
status=0
step() {
  echo
  echo "=== $1"
  shift
  "$@" || { echo "=== FAILED: $*"; status=1; }
}

step "lint" npx eslint . --max-warnings 0
step "typecheck" npm run -s typecheck
# The build comes before the unit tests: scripts/electron-checklist.test.ts audits the built bundle.
step "build" node scripts/build-if-stale.mjs --rebuild
step "unit tests" npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
step "integration, features and e2e (private dockerd + redis)" bash scripts/with-test-env.sh bash scripts/test-env-suites.sh

echo
node scripts/summarize-tests.mjs || status=1
exit $status
