#!/usr/bin/env bash
# The cWDM quality evaluation on phantoms (issue 5): per target, a `cpu` model trained on phantom cases of one
# seed, then the held-out cases of another seed completed with DDIM-50 (all of them) and DDPM-1000 (the first
# DDPM_CASES, default 2; 0 skips them), each scored brain-masked against the real contrast and beside the affine baseline, which is
# fitted on each held-out case against its own reference.
#
#   bash scripts/quality/cwdm-phantom.sh            # all four BraTS targets, 1500 training steps each
#   TARGETS="t2 flair" STEPS=3000 DDPM_CASES=20 OUT=quality bash scripts/quality/cwdm-phantom.sh
#   TARGETS=t1 STEPS=7000 LR_DECAY_FROM=5000 bash scripts/quality/cwdm-phantom.sh   # cosine decay over 5000-7000
#
# Each target writes OUT/<target>-cpu/: the demo's folders (data, run, synth = DDIM-50, baseline, pictures,
# demo-scores.json), and synth-ddpm/ with eval-ddpm/ (scores.csv, scores.json). A target whose run was trained
# to STEPS and evaluated since is kept; one trained to fewer steps is trained on from its checkpoint
# (`mrsynth demo --resume`) and evaluated again, so STEPS=6000 continues an earlier 1500-step evaluation.
# The demo prints the DDIM-50 table (model and baseline per case, wins); then each DDPM-1000 case beside its DDIM-50
# and baseline figures, and the DDPM-1000 mean ± std.
# LR_DECAY_FROM decays the learning rate along a cosine from that step to STEPS (a run already past that step
# is refused, naming the step). TRAIN_CASES (default 24) sets the training phantoms of a new run.
# THREADS sets each run's intra-op threads; run several targets side by side with one thread each to use a
# machine's cores best.
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGETS=${TARGETS:-"t1 t1ce t2 flair"}
STEPS=${STEPS:-1500}
TRAIN_CASES=${TRAIN_CASES:-24}
LR_DECAY_FROM=${LR_DECAY_FROM:-}
DDPM_CASES=${DDPM_CASES:-2}
OUT=${OUT:-quality-output}
MRSYNTH=${MRSYNTH:-"node dist/cli/main.js"}
export MRSYNTH_THREADS=${THREADS:-${MRSYNTH_THREADS:-}}
[ -n "$MRSYNTH_THREADS" ] || unset MRSYNTH_THREADS

for target in $TARGETS; do
  dir="$OUT/$target-cpu"
  run_steps=0
  [ -f "$dir/run/run.json" ] && run_steps=$(node -p 'require(process.argv[1]).training.steps' "$(realpath "$dir/run/run.json")")
  if [ "$run_steps" -eq 0 ]; then
    # With a decay, the new run trains at the constant rate up to its start and is continued below.
    first_steps=${LR_DECAY_FROM:-$STEPS}
    echo "== $target: train on $TRAIN_CASES phantom cases (seed 7) to step $first_steps, complete 20 held-out cases (seed 1007) with DDIM-50"
    $MRSYNTH demo --no-builtin --config cpu --target "$target" --train-cases "$TRAIN_CASES" --test-cases 20 --steps "$first_steps" \
      --sampler-steps 50 --seed 7 --out "$dir"
    run_steps=$first_steps
  fi
  if [ "$run_steps" -ge "$STEPS" ] && [ -f "$dir/demo-scores.json" ] && [ "$dir/demo-scores.json" -nt "$dir/run/weights.safetensors" ]; then
    echo "== $target: $dir holds a run of $run_steps steps evaluated with DDIM-50 after its last training; kept"
  else
    echo "== $target: train the run in $dir on to step $STEPS, then complete its 20 held-out cases with DDIM-50 again"
    if [ -n "$LR_DECAY_FROM" ]; then
      $MRSYNTH train cwdm --resume "$dir/run" --steps "$STEPS" --lr-decay cosine --lr-decay-from "$LR_DECAY_FROM"
    fi
    $MRSYNTH demo --resume --steps "$STEPS" --sampler-steps 50 --seed 7 --out "$dir"
    rm -rf "$dir/synth-ddpm"  # sampled by the shorter-trained model
  fi

  if [ "$DDPM_CASES" -gt 0 ]; then
    echo "== $target: DDPM-1000 on the first $DDPM_CASES held-out case(s)"
    # Subsets of the held-out inputs and references, as folders of links, so that eval matches every case it sees.
    rm -rf "$dir/ddpm-input" "$dir/ddpm-ref"
    mkdir -p "$dir/ddpm-input" "$dir/ddpm-ref"
    for case_dir in $(ls -d "$dir"/data/heldout-input/*/ | sort | head -n "$DDPM_CASES"); do
      name=$(basename "$case_dir")
      ln -s "$(realpath "$case_dir")" "$dir/ddpm-input/$name"
      ln -s "$(realpath "$dir/data/heldout/$name")" "$dir/ddpm-ref/$name"
    done
    $MRSYNTH complete "$dir/ddpm-input" --models "$dir/run" --sampler ddpm --steps 1000 --seed 7 --out "$dir/synth-ddpm"
    $MRSYNTH eval --pred "$dir/synth-ddpm" --ref "$dir/ddpm-ref" --normalise cwdm --mask brain --out "$dir/eval-ddpm" --force
    # Side by side with the affine baseline and the DDIM-50 completion of the same cases, as the demo scored them (in
    # the same [0, 1] units), then the DDPM-1000 figures over these cases.
    node -e '
      const [ddpm, demo] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
      const byCase = new Map(demo.map((r) => [r.case, r]));
      const rows = ddpm.rows.filter((r) => r.region === "brain");
      let wins = 0, largest = 0;
      for (const row of rows) {
        const { baseline, model } = byCase.get(row.caseId);
        wins += row.scores.psnr > baseline.brain.psnr;
        largest = Math.max(largest, Math.abs(row.scores.psnr - model.brain.psnr));
        console.log(`${row.caseId}  DDPM-1000 PSNR ${row.scores.psnr.toFixed(2)} SSIM ${row.scores.ssim.toFixed(4)}  ` +
          `DDIM-50 PSNR ${model.brain.psnr.toFixed(2)}  baseline PSNR ${baseline.brain.psnr.toFixed(2)} SSIM ${baseline.brain.ssim.toFixed(4)}`);
      }
      console.log(`DDPM-1000 beats the baseline brain PSNR on ${wins} of ${rows.length} case(s); ` +
        `its PSNR differs from DDIM-50 by at most ${largest.toFixed(4)} dB on a case`);
    ' "$dir/eval-ddpm/scores.json" "$dir/demo-scores.json"
    node scripts/quality/summarise-eval.mjs "$dir/eval-ddpm/scores.json"
  fi
done
