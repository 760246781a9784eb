#!/usr/bin/env bash
# Suites that need the real engine and Redis; run by scripts/test.sh inside with-test-env.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
# Inside the test environment nothing may skip for want of Docker, Redis or PostgreSQL.
export STACKDECK_TEST_ENV_REQUIRED=1
status=0
echo "--- integration tests (real Docker + Redis)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json || status=1
for cfg in e2e/features/*/cucumber.mjs; do
  [ -e "$cfg" ] || continue
  name=$(basename "$(dirname "$cfg")")
  echo "--- features: $name"
  npx cucumber-js --config "$cfg" --format progress --format "json:test-results/cucumber-$name.json" || status=1
done
echo "--- e2e (Playwright in Debian Chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/e2e.json npx playwright test --reporter=list,json || status=1
exit $status
