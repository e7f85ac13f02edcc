#!/usr/bin/env bash
# How many DDIM steps cWDM needs: the phantom-trained `cpu` models of scripts/quality/cwdm-phantom.sh complete their
# 20 held-out cases again with each step count in DDIM_STEPS (η = 0, same seed), and each result is scored
# brain-masked like the quality evaluation and set against the 50-step figures per case. The number of steps sets
# the time of a full-size completion (one network evaluation each), so this is what a user trades for speed.
#
#   bash scripts/quality/cwdm-ddim-steps.sh                    # after cwdm-phantom.sh, with its default OUT
#   QUALITY=/tmp/quality TARGETS=t1 DDIM_STEPS="10 25 50" bash scripts/quality/cwdm-ddim-steps.sh
#
# Writes per target QUALITY/<target>-cpu/ddim-steps/: synth-ddim<K> and eval-ddim<K> (scores.csv, scores.json).
# `complete` prints the seconds per volume; the summary prints mean ± std and each count's distance from DDIM-50.
set -euo pipefail
cd "$(dirname "$0")/../.."

QUALITY=${QUALITY:-quality-output}
TARGETS=${TARGETS:-"t1 t1ce t2 flair"}
DDIM_STEPS=${DDIM_STEPS:-"5 10 25 50"}
MRSYNTH=${MRSYNTH:-"node dist/cli/main.js"}
export MRSYNTH_THREADS=${THREADS:-${MRSYNTH_THREADS:-}}
[ -n "$MRSYNTH_THREADS" ] || unset MRSYNTH_THREADS
# DDIM-50 is the quality evaluation's sampler, the one every other count is set against.
case " $DDIM_STEPS " in *" 50 "*) ;; *) DDIM_STEPS="$DDIM_STEPS 50" ;; esac

for target in $TARGETS; do
  dir="$QUALITY/$target-cpu"
  [ -f "$dir/run/run.json" ] || { echo "no run for $target in $dir/run; train it with scripts/quality/cwdm-phantom.sh first" >&2; exit 1; }
  out="$dir/ddim-steps"
  echo "== $target: the $(node -p 'require(process.argv[1]).training.steps' "$(realpath "$dir/run/run.json")")-step run in $dir/run, DDIM with ${DDIM_STEPS// /, } steps"
  for steps in $DDIM_STEPS; do
    echo "== $target: DDIM-$steps"
    $MRSYNTH complete "$dir/data/heldout-input" --models "$dir/run" --sampler ddim --steps "$steps" --seed 7 --out "$out/synth-ddim$steps" --force
    $MRSYNTH eval --pred "$out/synth-ddim$steps" --ref "$dir/data/heldout" --normalise cwdm --mask brain --out "$out/eval-ddim$steps" --force
  done
  echo "== $target on the held-out phantoms, brain-masked, mean ± std (ddof 1) over cases"
  node scripts/quality/summarise-eval.mjs --versus "$out/eval-ddim50/scores.json" \
    $(for steps in $DDIM_STEPS; do echo "$out/eval-ddim$steps/scores.json"; done)
done
