#!/usr/bin/env bash
# Runs pochta's checks and test suite: type check, lint, import rules (DESIGN.md), then every *.test.ts
# under test/ with Node's test runner. `scripts/run-tests.sh unit` runs only test/unit and test/contract.
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}

echo "# typecheck"; npx tsc -p tsconfig.check.json
echo "# build (e2e tests run dist/main.js)"; npx tsc -p tsconfig.json
echo "# lint"; npx eslint --max-warnings=0 .
echo "# import rules"; npx depcruise src --config .dependency-cruiser.cjs --output-type err

case "$scope" in
  unit) dirs="test/unit test/contract" ;;
  *) dirs="test" ;;
esac
# Node 20's --test takes no globs and runs zero .ts files when given a directory: list the files ourselves.
mapfile -t files < <(find $dirs -name '*.test.ts' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
