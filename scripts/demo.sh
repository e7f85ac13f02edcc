#!/usr/bin/env bash
# The README's main command: set up whatever is missing, then run the end-to-end demo on built-in defaults
# (the built-in models on held-out phantoms beside the affine baselines; then phantom data → short cWDM training →
# completion → evaluation against the baseline → pictures).
# Extra arguments go to `mrsynth demo` (e.g. --steps 1000 --config cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
echo "setup took $(( $(date +%s) - started )) s"
node dist/cli/main.js demo --force "$@"
