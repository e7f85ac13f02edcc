#!/usr/bin/env bash
# Issue 19's ALDM quality run with its two A/Bs, end to end and unattended (docs/aldm-quality.md): each step is
# aldm-phantom.sh's (which keeps a stage trained to its steps and resumes one stopped partway), and each choice, once
# made, is kept in OUT/ab/, so run again after a stop, it continues where it stopped.
#
#   THREADS=2 bash scripts/quality/aldm-phantom-ab.sh
#
# 1. Stage 1 and its cycles, and the autoencoder's check against its gate (aldm-phantom.sh's defaults).
# 2. Stage 2 twice on that autoencoder: the reference's latent loss (OUT/stage2) and the decoded one
#    (OUT/stage2-decoded). What each first stage translates by itself on the held-out phantoms is scored against the
#    trained affine baseline, and the one with the higher mean PSNR gain over the 12 tasks (the gates' measure) is kept
#    (OUT/ab/stage2: its run and loss).
# 3. Stage 3 twice on the kept stage 2, predicting x₀ (OUT/stage3-sample) and x₀ less the first stage's translation
#    (OUT/stage3-residual), AB_STEPS (2,000) steps each with the decay recorded to STAGE3_STEPS (8,000); each translates
#    the first 4 held-out cases as the evaluation does, and the higher mean gain is kept (OUT/ab/stage3: its run and
#    prediction type).
# 4. The kept stage 3 trained on to STAGE3_STEPS, then the evaluation and its extras (OUT/ab/evaluated once done).
# 5. The IXI-style model (OUT_IXI, default quality-output/aldm-ixi) with the kept stage-2 loss and prediction type, its
#    autoencoder one further cycle (IXI_CYCLES, default 1,500 steps of squared error) from this model's last
#    (OUT_IXI/ab-done once done).
#
# Every variable of aldm-phantom.sh (OUT, THREADS, …) passes through, but for those each step sets. A smoke run of the
# whole chain with the `tiny` networks takes about half an hour:
#
#   OUT=/tmp/ab-smoke OUT_IXI=/tmp/ab-smoke-ixi CONFIG=tiny STAGE1_STEPS=20 STAGE1_DECAY_FROM=10 STAGE1_CYCLES="10:5e-5:l1 10:5e-5:mse" \
#     STAGE2_STEPS=10 AB_STEPS=6 STAGE3_STEPS=10 STAGE3_DECAY_FROM=5 SAMPLES=2 SAMPLE_STEPS=2 LONG_CASES=1 LONG_STEPS=4 DDPM=0 \
#     T1CE_DRAWS=2 IXI_CYCLES=10:5e-5:mse bash scripts/quality/aldm-phantom-ab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export OUT=${OUT:-quality-output/aldm-phantom}
OUT_IXI=${OUT_IXI:-quality-output/aldm-ixi}
AB_STEPS=${AB_STEPS:-2000}
STAGE3_STEPS=${STAGE3_STEPS:-8000}
IXI_CYCLES=${IXI_CYCLES:-1500:5e-5:mse}
choices=$OUT/ab
mkdir -p "$choices"

phantom() { bash scripts/quality/aldm-phantom.sh; }

# Writes to FILE (whole) "RUN OPTION": of RUN_A and RUN_B, the one whose OUT/eval/PREFIX-<run>.json (aldm-gates.mjs
# --summary) has the higher mean gain, with its option (OPTION_A or OPTION_B).
choose() {
  local file=$1 prefix=$2
  node -e '
    const { readFileSync } = require("fs");
    const [prefix, a, optionA, b, optionB] = process.argv.slice(1);
    const gain = (run) => JSON.parse(readFileSync(`${prefix}-${require("path").basename(run)}.json`, "utf8")).meanGain;
    console.log(gain(a) >= gain(b) ? `${a} ${optionA}` : `${b} ${optionB}`);
  ' "$OUT/eval/$prefix" "${@:3}" > "$file.part"
  mv "$file.part" "$file"
  echo "== kept: $(cat "$file") (of the two, the higher mean gain over the trained affine baseline: OUT/eval/$prefix-*.md)"
}

if [ ! -f "$choices/stage2" ]; then
  STAGES="autoencoder reconstruction spade" phantom
  STAGES=spade STAGE2_RUN=$OUT/stage2-decoded STAGE2_SPADE_LOSS=decoded phantom
  STAGES=first-stage FIRST_STAGE_RUNS="$OUT/stage2 $OUT/stage2-decoded" phantom
  choose "$choices/stage2" first-stage "$OUT/stage2" latent "$OUT/stage2-decoded" decoded
fi
read -r stage2 spade_loss < "$choices/stage2"

if [ ! -f "$choices/stage3" ]; then
  for type in sample residual; do
    STAGES=diffusion STAGE2_RUN=$stage2 STAGE3_RUN=$OUT/stage3-$type STAGE3_PREDICTION_TYPE=$type STAGE3_STEPS=$AB_STEPS \
      STAGE3_DECAY_TO=$STAGE3_STEPS phantom
  done
  STAGES=sampled STAGE2_RUN=$stage2 SAMPLED_RUNS="$OUT/stage3-sample $OUT/stage3-residual" phantom
  choose "$choices/stage3" sampled "$OUT/stage3-sample" sample "$OUT/stage3-residual" residual
fi
read -r stage3 prediction_type < "$choices/stage3"

if [ ! -f "$choices/evaluated" ]; then
  STAGES="diffusion evaluate extras" STAGE2_RUN=$stage2 STAGE3_RUN=$stage3 STAGE3_PREDICTION_TYPE=$prediction_type \
    STAGE3_STEPS=$STAGE3_STEPS phantom
  touch "$choices/evaluated"
fi

if [ ! -f "$OUT_IXI/ab-done" ]; then
  # This model's last autoencoder run: its highest cycle.
  autoencoder=$(ls -d "$OUT"/stage1-cycle*/ | sort -V | tail -n 1)
  autoencoder=${autoencoder%/}
  OUT=$OUT_IXI STYLE=ixi STAGE1_FROM=$autoencoder STAGE1_CYCLES=$IXI_CYCLES STAGE2_SPADE_LOSS=$spade_loss \
    STAGE3_PREDICTION_TYPE=$prediction_type STAGE3_STEPS=$STAGE3_STEPS phantom
  touch "$OUT_IXI/ab-done"
fi
echo "== done: the BraTS-style model's gates in $OUT/eval/gates.md, the IXI-style model's in $OUT_IXI/eval/gates.md"
