#!/usr/bin/env bash
# cWDM on the two shared real BraTS-style cases (issue 5: reported, not gated), with the phantom-trained `cpu` models
# of scripts/quality/cwdm-phantom.sh. The 1 mm cases are copied onto the models' 3 mm grid by block averages (as a
# 3 mm acquisition would see them); each target is removed in turn and completed with every sampler in SAMPLERS,
# then scored brain-masked in the cWDM [0, 1] units beside the affine baseline, fitted in those units on each case
# against its own reference.
#
#   bash scripts/quality/cwdm-real.sh                       # after cwdm-phantom.sh, with its default OUT
#   QUALITY=/tmp/quality TARGETS="t2" SAMPLERS="ddim:50" bash scripts/quality/cwdm-real.sh
#
# Writes OUT/data-3mm (the resampled copy) and per target OUT/<target>/: input (links to the other contrasts),
# baseline + eval-baseline, and per sampler synth-<kind><steps> + eval-<kind><steps> (scores.csv, scores.json).
# `complete` prints the seconds per volume, `eval` the mean ± std over the cases.
set -euo pipefail
cd "$(dirname "$0")/../.."

REAL=${REAL:-../shared/data/brats-sample}
QUALITY=${QUALITY:-quality-output}
OUT=${OUT:-$QUALITY/real}
TARGETS=${TARGETS:-"t1 t1ce t2 flair"}
SAMPLERS=${SAMPLERS:-"ddim:50 ddpm:1000"}
MRSYNTH=${MRSYNTH:-"node dist/cli/main.js"}
export MRSYNTH_THREADS=${THREADS:-${MRSYNTH_THREADS:-}}
[ -n "$MRSYNTH_THREADS" ] || unset MRSYNTH_THREADS

data="$OUT/data-3mm"
[ -f "$data/resample.json" ] || $MRSYNTH data resample --in "$REAL" --out "$data" --spacing 3 --interpolation area

for target in $TARGETS; do
  run="$QUALITY/$target-cpu/run"
  dir="$OUT/$target"
  [ -f "$run/run.json" ] || { echo "no run for $target in $run; train it with scripts/quality/cwdm-phantom.sh first" >&2; exit 1; }
  echo "== $target: the $(node -p 'require(process.argv[1]).training.steps' "$(realpath "$run/run.json")")-step run in $run"

  # The cases without the target, as folders of links to the other contrasts.
  rm -rf "$dir/input"
  for case_dir in "$data"/*/; do
    name=$(basename "$case_dir")
    mkdir -p "$dir/input/$name"
    for file in "$case_dir"*.nii.gz; do
      case "$(basename "$file")" in *"_$target.nii.gz") ;; *) ln -s "$(realpath "$file")" "$dir/input/$name/" ;; esac
    done
  done

  echo "== $target: affine baseline (oracle: fitted on each case's own $target, in cWDM units)"
  $MRSYNTH baseline affine --data "$data" --target "$target" --normalise cwdm --out "$dir/baseline" --force
  $MRSYNTH eval --pred "$dir/baseline" --ref "$data" --normalise cwdm --mask brain --out "$dir/eval-baseline" --force

  for sampler in $SAMPLERS; do
    kind=${sampler%:*}
    steps=${sampler#*:}
    echo "== $target: cWDM, $kind with $steps steps"
    $MRSYNTH complete "$dir/input" --models "$run" --sampler "$kind" --steps "$steps" --seed 7 --out "$dir/synth-$kind$steps" --force
    $MRSYNTH eval --pred "$dir/synth-$kind$steps" --ref "$data" --normalise cwdm --mask brain --out "$dir/eval-$kind$steps" --force
  done

  echo "== $target on the real cases (3 mm), brain-masked, mean ± std (ddof 1) over cases"
  node scripts/quality/summarise-eval.mjs "$dir/eval-baseline/scores.json" \
    $(for sampler in $SAMPLERS; do echo "$dir/eval-${sampler%:*}${sampler#*:}/scores.json"; done)
done
