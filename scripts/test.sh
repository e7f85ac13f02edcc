#!/usr/bin/env bash
# The test command of the README and of CI: set up whatever is missing, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-test-oracles
npm run typecheck --silent
npm test
