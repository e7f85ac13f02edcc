#!/usr/bin/env bash
# The ALDM quality evaluation on phantoms (issue 19): one `cpu-f2` model of all four BraTS contrasts, trained stage by
# stage on 96 BraTS-style phantoms (seed 7, 3 mm, 64×64×48), its checkpoints chosen on the training split's
# validation only; 20 held-out phantoms (seed 1007) for the evaluation.
#
#   bash scripts/quality/aldm-phantom.sh                              # every stage to its default steps
#   STAGE1_STEPS=1000 STAGES=autoencoder THREADS=1 bash scripts/quality/aldm-phantom.sh
#
# Each stage is a run folder under OUT (default quality-output/aldm-phantom): stage1/ (the VQ-GAN autoencoder) and
# stage1-cycle2/, … (further learning-rate cycles of it, below), stage2/ (MS-SPADE on stage 1's frozen autoencoder),
# stage3/ (the latent U-Net on stage2's first stage, its latent scale measured when it starts). A stage already trained
# to its steps is kept; one trained to fewer is resumed from its checkpoint, so the script can be stopped (Ctrl-C
# checkpoints) and run again at any time (a larger STAGE1_STEPS continues an earlier run at the rate its recorded decay
# ended at, 0: another cycle is STAGE1_CYCLES's). Every stage logs its validation in RUN/log.jsonl: stage 1 the
# reconstruction L1 and brain PSNR per contrast with the codebook's use, stage 2 the latent L1 into each target against
# no translation, stage 3 its denoising loss (trained and EMA) against predicting zeros and every ordered pair of a
# validation case translated and scored. The `reconstruction` stage, as soon as stage 1 is trained, checks its
# autoencoder against its gate on the held-out phantoms (OUT/eval/autoencoder.md): every held-out scan through stage 1's
# autoencoder and back (mrsynth reconstruct) against the oracle affine floor of every task (one map a·x + b fitted on
# each held-out case against its own target), so that a short autoencoder is seen before hours of stages 2 and 3 are
# trained on it. The `evaluate` stage then scores the 12 tasks on the held-out phantoms in OUT/eval/: every ordered pair
# translated by the stage-3 run (--samples 4, DDIM 50, η 1, seed 7) and the trained affine baseline (one map per task
# fitted on the training phantoms' brain voxels), all in the run's units on the original grid, brain-masked, with the
# oracle floor and the reconstruction again (from the stage-3 run, whose autoencoder is stage 1's); then the gates
# (scripts/quality/aldm-gates.mjs). SAMPLES and SAMPLE_STEPS change the translation's samples and DDIM steps. The
# `extras` stage adds what the issue reports without gating (see extras() below). THREADS sets the intra-op threads;
# CONFIG the preset of a new run (default cpu-f2; `tiny` makes a quick smoke run of the whole script, with small step
# counts and OUT elsewhere); STYLE=ixi the IXI-style model of the issue's reported figures (its real-case extras are BraTS's only; STAGE1_FROM
# starts its autoencoder from the BraTS-style model's).
#
# Stages (STAGES, in this order by default): autoencoder reconstruction spade diffusion evaluate extras; and, not among
# the defaults, first-stage (stage 2's variants alone), sampled (stage 3's variants on a few held-out cases) and
# t1ce-bound (what the tasks into T1ce leave to gain, from T1ce redrawn; extras ends with it).
# Variables, each explained where it is set below: OUT STAGES THREADS CONFIG STYLE PRECISION MRSYNTH; stage 1:
# STAGE1_STEPS STAGE1_DECAY_FROM STAGE1_CYCLES STAGE1_FROM; stage 2: STAGE2_RUN STAGE2_SPADE_LOSS STAGE2_STEPS
# STAGE2_DECAY_FROM FIRST_STAGE_RUNS; stage 3: STAGE3_RUN STAGE3_STEPS STAGE3_PREDICTION_TYPE STAGE3_DECAY_FROM
# STAGE3_DECAY_TO STAGE3_VAL_SAMPLE_STEPS STAGE3_VAL_EVERY SAMPLED_RUNS SAMPLED_CASES; evaluation: SAMPLES SAMPLE_STEPS
# LONG_CASES LONG_STEPS DDPM T1CE_DRAWS.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-quality-output/aldm-phantom}
STAGES=${STAGES:-"autoencoder reconstruction spade diffusion evaluate extras"}
SAMPLES=${SAMPLES:-4}
SAMPLE_STEPS=${SAMPLE_STEPS:-50}
# The extras' long samplers on LONG_CASES cases: DDIM-LONG_STEPS η 1, and DDPM over the whole chain (ALDM's 'ldm'
# spacing runs all 1000 steps) unless DDPM=0.
LONG_CASES=${LONG_CASES:-2}
LONG_STEPS=${LONG_STEPS:-200}
DDPM=${DDPM:-1}
# Redraws of each held-out T1ce for the t1ce-bound stage (also the last of extras).
T1CE_DRAWS=${T1CE_DRAWS:-128}
STAGE1_STEPS=${STAGE1_STEPS:-4000}
# Stage 1's learning rate is constant to this step, then decays along a cosine to 0 at STAGE1_STEPS (as recorded when
# the run was made): a constant-rate `cpu-f2` run's T1 and T1ce reconstruction peaked at step 1,400 and fell back by
# about 1 dB by step 2,200 while T2 and FLAIR rose (docs/aldm-quality.md).
STAGE1_DECAY_FROM=${STAGE1_DECAY_FROM:-2000}
# Further learning-rate cycles of stage 1 once its rate has decayed to 0, each `STEPS:LR:LOSS`: a new run
# (stage1-cycle2, stage1-cycle3, …) started from the previous one's autoencoder (train --parent), its rate decaying along
# a cosine from LR to 0 over STEPS, trained on the reconstruction term LOSS (l1 or mse); the later stages build on the
# last. Empty: none, they build on stage1 itself. The first cycle left T1 and T1ce 0.3 and 0.6 dB under their gates on
# the held-out phantoms; a second L1 cycle gained 0.18 dB on each; a third on the squared error, which PSNR measures,
# 0.37–0.38 dB more, leaving T1ce 0.01 dB short; a fourth, shorter, on it too met every contrast's gate (docs/aldm-quality.md).
STAGE1_CYCLES=${STAGE1_CYCLES-"1500:5e-5:l1 1500:5e-5:mse 1000:5e-5:mse"}
read -r -a cycles <<< "$STAGE1_CYCLES"
# Another run whose autoencoder the cycles start from instead of a stage 1 trained here from scratch (stage1/ is then not
# made): the IXI-style model fine-tunes the BraTS-style model's (its encoder, codebook and decoder know no contrast;
# MS-SPADE starts afresh for IXI's three), e.g. STAGE1_FROM=quality-output/aldm-phantom/stage1-cycle4 STAGE1_CYCLES=1500:5e-5:mse.
STAGE1_FROM=${STAGE1_FROM:-}
[ -z "$STAGE1_FROM" ] || [ "${#cycles[@]}" -gt 0 ] || { echo "STAGE1_FROM needs at least one cycle (STAGE1_CYCLES) to train" >&2; exit 1; }
AUTOENCODER_RUN=$OUT/stage1
[ "${#cycles[@]}" -eq 0 ] || AUTOENCODER_RUN=$OUT/stage1-cycle$((${#cycles[@]} + 1))
# Stage 2's run (on the last autoencoder run) and its loss: latent (L1 to the target's latent, the reference's) or
# decoded (the squared error of the translation decoded through the frozen decoder against the target image). An A/B of
# the two: STAGES=spade, then STAGES=spade STAGE2_RUN=$OUT/stage2-decoded STAGE2_SPADE_LOSS=decoded, compared by the
# `first-stage` stage.
STAGE2_RUN=${STAGE2_RUN:-$OUT/stage2}
STAGE2_SPADE_LOSS=${STAGE2_SPADE_LOSS:-latent}
STAGE2_STEPS=${STAGE2_STEPS:-2000}
# Stage 2's learning rate is constant to this step, then decays along a cosine to 0 at STAGE2_STEPS (no decay when it is
# not below STAGE2_STEPS, the default: the quality run's stage 2 trained 2,000 steps at a constant rate).
STAGE2_DECAY_FROM=${STAGE2_DECAY_FROM:-$STAGE2_STEPS}
# The runs whose first stage the `first-stage` stage scores alone (not among the default STAGES).
FIRST_STAGE_RUNS=${FIRST_STAGE_RUNS:-$STAGE2_RUN}
# Stage 3's run, trained on STAGE2_RUN; the `evaluate` and `extras` stages score it.
STAGE3_RUN=${STAGE3_RUN:-$OUT/stage3}
STAGE3_STEPS=${STAGE3_STEPS:-8000}
# The runs the `sampled` stage (not among the defaults) compares on the first SAMPLED_CASES held-out cases, translated
# as the evaluation translates: stage 3's variants, each trained part of the way, before one is trained to the end.
SAMPLED_RUNS=${SAMPLED_RUNS:-$STAGE3_RUN}
SAMPLED_CASES=${SAMPLED_CASES:-4}
MRSYNTH=${MRSYNTH:-"node dist/cli/main.js"}
export MRSYNTH_THREADS=${THREADS:-${MRSYNTH_THREADS:-}}
[ -n "$MRSYNTH_THREADS" ] || unset MRSYNTH_THREADS

# The brain's box padded to a multiple of 16 (aldm-brainbox; cpu-f2's halvings need 8): the reference's 144×192×144 box
# would be 432 mm at 3 mm voxels.
PREPROCESS=aldm-brainbox
# `cpu-f2`, not `cpu`: at 3 mm a latent cell of 4×4×4 voxels covers 12 mm of anatomy and caps the reconstruction far
# below the gates; 2×2×2 voxels reconstruct much better (docs/aldm-quality.md).
CONFIG=${CONFIG:-cpu-f2}
# BraTS-style phantoms (t1, t1ce, t2, flair: 12 tasks), or STYLE=ixi (t1, t2, pd: 6 tasks) with OUT elsewhere.
STYLE=${STYLE:-brats}
case $STYLE in
  brats) CONTRASTS="t1 t1ce t2 flair" ;;
  ixi) CONTRASTS="t1 t2 pd" ;;
  *) echo "unknown STYLE '$STYLE' (expected brats or ixi)" >&2; exit 1 ;;
esac
# What a new run's networks train in. fp32: bf16 (bfloat16 working copies, float32 master weights and EMA) took 1.83 s
# per `cpu-f2` stage-1 step against fp32's 2.36 (two threads, alone on the machine), but on the same draws its
# reconstruction trailed fp32's by 0.6–2.9 dB per contrast at steps 400 and 600 (docs/aldm-quality.md, "Training in
# bf16"). A run keeps the precision it was made with.
PRECISION=${PRECISION:-fp32}
COMMON=(--config "$CONFIG" --precision "$PRECISION" --checkpoint-every 200)
# Stage 3's validation also translates one validation case from every contrast into every other (DDIM with this many
# steps, η 0) and scores it: the run's curve of what the gates measure, and the scores `complete` chooses each missing
# contrast's source by (recorded in run.json), without which a completion needs --source. 0: off. It takes about 40 s,
# so stage 3 validates every STAGE3_VAL_EVERY steps (stages 1 and 2 every 200).
STAGE3_VAL_SAMPLE_STEPS=${STAGE3_VAL_SAMPLE_STEPS:-10}
STAGE3_VAL_EVERY=${STAGE3_VAL_EVERY:-400}
# What stage 3's U-Net learns to predict: sample (the clean target latent) or epsilon (the noise, the reference's). On the
# same stage 2 and draws, x₀-prediction's sampled validation reached a mean of 14.2 dB at step 400, where ε-prediction
# had 7.7 dB at step 400 and 10.0 dB at step 5,800 (docs/aldm-quality.md, "Stage 3: what the U-Net predicts").
STAGE3_PREDICTION_TYPE=${STAGE3_PREDICTION_TYPE:-sample}
# Stage 3's learning rate is constant to this step, then decays along a cosine to 0 at STAGE3_DECAY_TO (default
# STAGE3_STEPS; as recorded when the run was made; no decay when it is not below STAGE3_DECAY_TO), as stage 1's: the
# x₀-run's sampled validation rose to 15.4 dB by step 2,000 and stayed there to step 3,200 at the constant rate. A
# variant trained part of the way (STAGE3_STEPS=2000 STAGE3_DECAY_TO=8000) then resumes to 8,000 steps as one run.
STAGE3_DECAY_FROM=${STAGE3_DECAY_FROM:-4000}
STAGE3_DECAY_TO=${STAGE3_DECAY_TO:-$STAGE3_STEPS}

[ -d "$OUT/data/train" ] || $MRSYNTH phantom --out "$OUT/data/train" --cases 96 --seed 7 --shape 64,64,48 --spacing 3 --style "$STYLE"
[ -d "$OUT/data/heldout" ] || $MRSYNTH phantom --out "$OUT/data/heldout" --cases 20 --seed 1007 --shape 64,64,48 --spacing 3 --style "$STYLE"

# The words as a shell command line: each quoted only where the shell needs it.
shell_words() {
  local words=() word
  for word in "$@"; do
    if [[ $word =~ ^[A-Za-z0-9_./:,=+@-]+$ ]]; then words+=("$word"); else words+=("'${word//\'/\'\\\'\'}'"); fi
  done
  echo "${words[*]}"
}

# Trains stage NAME in RUN to STEPS: a new run with the extra flags, or the existing one resumed.
train_stage() {
  local name=$1 run=$2 steps=$3
  shift 3
  local done_steps=0
  [ -f "$run/checkpoint.safetensors" ] && done_steps=$(node -e '
    const log = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    console.log(log.filter((e) => e.kind === "train").reduce((m, e) => Math.max(m, e.step), 0))' "$run/log.jsonl")
  if [ "$done_steps" -ge "$steps" ]; then
    echo "== $name: $run is at step $done_steps of $steps; kept"
  elif [ -f "$run/run.json" ]; then
    echo "== $name: resuming $run at step $done_steps, to step $steps"
    local recorded
    recorded=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).training.steps)' "$run/run.json")
    # A run extended beyond the steps it was made for: its replay takes this command too (RUN.command, one per line).
    [ "$steps" -le "$recorded" ] || echo "mrsynth $(shell_words train aldm --resume "$run" --steps "$steps")" >> "$run.command"
    $MRSYNTH train aldm --resume "$run" --steps "$steps"
  else
    echo "== $name: a new run in $run, $steps steps"
    # The commit a run was started at and its command, for the built-in model's manifest (scripts/quality/pack-builtin-models.mjs).
    git rev-parse HEAD > "$run.commit"
    local command=(train aldm --data "$OUT/data/train" --out "$run" --steps "$steps" "${COMMON[@]}" "$@")
    echo "mrsynth $(shell_words "${command[@]}")" > "$run.command"
    $MRSYNTH "${command[@]}"
  fi
}

# The oracle affine floor of every task on the held-out phantoms, in RUN's units: what the autoencoder's gate is set by.
oracle_floor() {
  local run=$1 eval=$OUT/eval heldout=$OUT/data/heldout
  for target in $CONTRASTS; do
    for source in $CONTRASTS; do
      [ "$source" = "$target" ] && continue
      $MRSYNTH baseline affine --data "$heldout" --normalise-as "$run" --source "$source" --target "$target" --out "$eval/oracle-affine" --force >/dev/null
    done
  done
  $MRSYNTH eval --pred "$eval/oracle-affine" --ref "$heldout" --normalise-as "$run" --mask brain --matrix --out "$eval/eval-oracle-affine" --force
}

# What RUN's autoencoder keeps of each held-out scan, scored: the bound on every translation.
reconstruction() {
  local run=$1 eval=$OUT/eval heldout=$OUT/data/heldout
  $MRSYNTH reconstruct "$heldout" --model "$run" --out "$eval/reconstruction" --force
  $MRSYNTH eval --pred "$eval/reconstruction" --ref "$heldout" --normalise-as "$run" --mask brain --out "$eval/eval-reconstruction" --force
}

# Stage 1's autoencoder against its gate, before the later stages are trained on it (kept while stage 1 is unchanged).
check_autoencoder() {
  local eval=$OUT/eval
  if [ "$eval/autoencoder.md" -nt "$AUTOENCODER_RUN/autoencoder.safetensors" ]; then
    echo "== reconstruction: $eval/autoencoder.md is newer than stage 1's weights; kept"
    return
  fi
  echo "== reconstruction: stage 1's autoencoder on the held-out phantoms, against the oracle affine floor + 2 dB"
  mkdir -p "$eval"
  oracle_floor "$AUTOENCODER_RUN"
  reconstruction "$AUTOENCODER_RUN"
  # Written whole or not at all: a file left by an interrupted check would be kept as done.
  node scripts/quality/aldm-gates.mjs --floor "$eval/eval-oracle-affine/scores.json" --reconstruction "$eval/eval-reconstruction/scores.json" \
    > "$eval/autoencoder.md.part"
  mv "$eval/autoencoder.md.part" "$eval/autoencoder.md"
  cat "$eval/autoencoder.md"
}

# The trained affine baseline of every task (one map per task, fitted on the training phantoms' brain voxels) on DATA
# (default the held-out phantoms) in RUN's units, into OUT/eval/NAME (default trained-affine), scored (OUT/eval/eval-NAME).
trained_affine() {
  local run=$1 data=${2:-$OUT/data/heldout} name=${3:-trained-affine} eval=$OUT/eval
  for target in $CONTRASTS; do
    for source in $CONTRASTS; do
      [ "$source" = "$target" ] && continue
      $MRSYNTH baseline affine --data "$data" --fit-on "$OUT/data/train" --normalise-as "$run" --source "$source" --target "$target" \
        --out "$eval/$name" --force >/dev/null
    done
  done
  $MRSYNTH eval --pred "$eval/$name" --ref "$data" --normalise-as "$run" --mask brain --matrix --out "$eval/eval-$name" --force
}

# RUN's translation of every ordered pair of DATA's cases (translate's further FLAGS…) into OUT/eval/NAME, scored
# against the trained affine baseline (OUT/eval/NAME.md, its totals in OUT/eval/NAME.json; the baseline is made first
# where missing).
against_affine() {
  local run=$1 name=$2 data=$3 eval=$OUT/eval
  shift 3
  mkdir -p "$eval"
  [ -f "$eval/eval-trained-affine/scores.json" ] || trained_affine "$run"
  $MRSYNTH translate "$data" --model "$run" --matrix "$@" --out "$eval/$name" --force
  $MRSYNTH eval --pred "$eval/$name" --ref "$data" --normalise-as "$run" --mask brain --matrix --out "$eval/eval-$name" --force
  node scripts/quality/aldm-gates.mjs --model "$eval/eval-$name/scores.json" --baseline "$eval/eval-trained-affine/scores.json" \
    --summary "$eval/$name.json" | tee "$eval/$name.md"
}

# What the first stage of each run in FIRST_STAGE_RUNS translates by itself (MS-SPADE's latent decoded, no diffusion)
# on the held-out phantoms, against the trained affine baseline: stage 2's variants compared before stage 3 is trained
# on one (OUT/eval/first-stage-<run>.md). Every run shares stage 1's preprocessing, so one baseline serves them all.
first_stage() {
  local run
  for run in $FIRST_STAGE_RUNS; do
    echo "== first stage alone: $run"
    against_affine "$run" "first-stage-$(basename "$run")" "$OUT/data/heldout" --first-stage
  done
}

# The first N held-out cases, linked into DIR (made afresh): a data set of them alone.
first_cases() {
  local n=$1 dir=$2 heldout=$OUT/data/heldout
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$STYLE" = brats ]; then  # a folder per case
    for case_dir in $(ls -d "$heldout"/*/ | sort | head -n "$n"); do ln -s "$(realpath "$case_dir")" "$dir/$(basename "$case_dir")"; done
  else  # IXI: the cases' files side by side, <case>-<T1|T2|PD>.nii.gz
    for id in $(ls "$heldout" | sed -E 's/-(T1|T2|PD)\.nii(\.gz)?$//' | sort -u | head -n "$n"); do
      for file in "$heldout/$id"-*.nii*; do ln -s "$(realpath "$file")" "$dir/$(basename "$file")"; done
    done
  fi
}

# Each run of SAMPLED_RUNS translating the first SAMPLED_CASES held-out cases as the evaluation does (SAMPLES of
# DDIM-SAMPLE_STEPS η 1, seed 7), against the trained affine baseline of those cases (OUT/eval/sampled-<run>.md):
# stage 3's variants compared part of the way, before one is trained to the end.
sampled() {
  local cases=$OUT/eval/sampled-cases run
  first_cases "$SAMPLED_CASES" "$cases"
  for run in $SAMPLED_RUNS; do
    echo "== sampled: $run on the first $SAMPLED_CASES held-out case(s)"
    against_affine "$run" "sampled-$(basename "$run")" "$cases" --samples "$SAMPLES" --steps "$SAMPLE_STEPS" --eta 1 --seed 7
  done
}

# The 12 tasks on the held-out phantoms: translations, the two affine baselines, their scores and the gates.
evaluate() {
  local run=$STAGE3_RUN eval=$OUT/eval heldout=$OUT/data/heldout
  echo "== evaluate: every ordered pair of the held-out phantoms, $SAMPLES sample(s) of DDIM-$SAMPLE_STEPS η 1, against the affine baselines"
  # Without --force: stopped (hours in), the script continues the translations where they stopped. Made by other weights
  # (stage 3 trained further), they are removed first; made with other settings (SAMPLES, SAMPLE_STEPS), translate
  # refuses them, naming the difference (remove OUT/eval/aldm to redo them).
  local stamp
  stamp=$(sha256sum "$run/unet.safetensors" | cut -c1-64)
  if [ -d "$eval/aldm" ] && [ "$(cat "$eval/aldm.weights" 2>/dev/null)" != "$stamp" ]; then
    echo "== evaluate: $eval/aldm was translated by other weights than $run's; translating again"
    rm -rf "$eval/aldm"
  fi
  mkdir -p "$eval/aldm"
  echo "$stamp" > "$eval/aldm.weights"
  local start=$(date +%s) before=$(find "$eval/aldm" -name '*_from-*.json' | wc -l)
  $MRSYNTH translate "$heldout" --model "$run" --matrix --samples "$SAMPLES" --save-samples --steps "$SAMPLE_STEPS" --eta 1 --seed 7 \
    --out "$eval/aldm"
  # Timed over the translations made by this invocation (a continued evaluation times its own part).
  local volumes=$(( $(find "$eval/aldm" -name '*_from-*.json' | wc -l) - before ))
  [ "$volumes" -eq 0 ] || echo "== evaluate: $volumes translations of $SAMPLES sample(s) in $(( $(date +%s) - start )) s, ${MRSYNTH_THREADS:-default} thread(s): $(( ($(date +%s) - start) / volumes )) s per translation" \
    | tee "$eval/timing.txt"
  trained_affine "$run"
  $MRSYNTH eval --pred "$eval/aldm" --ref "$heldout" --normalise-as "$run" --mask brain --matrix --out "$eval/eval-aldm" --force
  oracle_floor "$run"
  reconstruction "$run"
  node scripts/quality/aldm-gates.mjs --model "$eval/eval-aldm/scores.json" --baseline "$eval/eval-trained-affine/scores.json" \
    --floor "$eval/eval-oracle-affine/scores.json" --reconstruction "$eval/eval-reconstruction/scores.json" | tee "$eval/gates.md"
}

# Reported beside the gates, not gated (issue 19): the first stage alone (MS-SPADE's latent decoded, no diffusion), one
# sample (each translation's first: --samples 1's draw, to the rounding of the batch it was drawn in), DDIM-200 η 1
# (the reference's sampler) and DDPM-1000 on the first 2 held-out cases (LONG_CASES, LONG_STEPS, DDPM), and the 2 shared
# real cases resampled to the phantoms' 3 mm; each scored and set against the trained affine baseline as the gates are, into
# OUT/eval/<name>.md. Also the evaluation's own sampling in bf16 on those first cases, set against its fp32 translations
# of them (OUT/eval/bf16.md): the same seeds draw the same noise, so the difference is the precision's.
extras() {
  local run=$STAGE3_RUN eval=$OUT/eval heldout=$OUT/data/heldout
  [ -f "$eval/eval-trained-affine/scores.json" ] || { echo "extras: run the evaluate stage first" >&2; exit 1; }
  # gates NAME BASELINE [aldm-gates.mjs flags…]
  gates() {
    local name=$1 baseline=$2
    shift 2
    node scripts/quality/aldm-gates.mjs --model "$eval/eval-$name/scores.json" --baseline "$baseline" "$@" | tee "$eval/$name.md"
  }
  score() { $MRSYNTH eval --pred "$eval/$1" --ref "$2" --normalise-as "$run" --mask brain --matrix --out "$eval/eval-$1" --force; }

  echo "== extras: the first stage alone"
  $MRSYNTH translate "$heldout" --model "$run" --matrix --first-stage --out "$eval/first-stage" --force
  score first-stage "$heldout" && gates first-stage "$eval/eval-trained-affine/scores.json"

  echo "== extras: one sample"
  rm -rf "$eval/one-sample"
  for file in $(cd "$eval/aldm" && find . -name '*_sample-1.nii.gz'); do
    mkdir -p "$eval/one-sample/$(dirname "$file")"
    ln -s "$(realpath "$eval/aldm/$file")" "$eval/one-sample/${file%_sample-1.nii.gz}.nii.gz"
  done
  score one-sample "$heldout" && gates one-sample "$eval/eval-trained-affine/scores.json"

  echo "== extras: DDIM-$LONG_STEPS η 1$([ "$DDPM" = 0 ] || echo ' and DDPM-1000') on the first $LONG_CASES held-out case(s)"
  first_cases "$LONG_CASES" "$eval/long-cases"
  $MRSYNTH translate "$eval/long-cases" --model "$run" --matrix --steps "$LONG_STEPS" --eta 1 --seed 7 --out "$eval/ddim-long" --force
  score ddim-long "$eval/long-cases" && gates ddim-long "$eval/eval-trained-affine/scores.json"
  if [ "$DDPM" != 0 ]; then
    $MRSYNTH translate "$eval/long-cases" --model "$run" --matrix --sampler ddpm --seed 7 --out "$eval/ddpm" --force
    score ddpm "$eval/long-cases" && gates ddpm "$eval/eval-trained-affine/scores.json"
  fi

  echo "== extras: bf16 sampling on the first $LONG_CASES held-out case(s), against the same translations in fp32"
  $MRSYNTH translate "$eval/long-cases" --model "$run" --matrix --samples "$SAMPLES" --steps "$SAMPLE_STEPS" --eta 1 --seed 7 \
    --precision bf16 --out "$eval/bf16" --force
  score bf16 "$eval/long-cases" && gates bf16 "$eval/eval-aldm/scores.json" --baseline-name 'fp32 sampling'

  if [ "$STYLE" != brats ]; then return; fi
  echo "== extras: the 2 shared real cases at 3 mm"
  [ -d "$OUT/data/real3" ] || $MRSYNTH data resample --in ../shared/data/brats-sample --out "$OUT/data/real3" --spacing 3 --interpolation area
  $MRSYNTH translate "$OUT/data/real3" --model "$run" --matrix --samples "$SAMPLES" --steps "$SAMPLE_STEPS" --eta 1 --seed 7 \
    --out "$eval/real3" --force
  trained_affine "$run" "$OUT/data/real3" real3-trained-affine
  score real3 "$OUT/data/real3"
  gates real3 "$eval/eval-real3-trained-affine/scores.json"
  t1ce_bound
}

# How much the three tasks into T1ce leave to gain over the trained affine baseline (scripts/quality/aldm-t1ce-bound.mjs):
# each held-out T1ce redrawn T1CE_DRAWS times with everything only T1ce shows drawn again, the redraws' spread the least
# error any model of the other contrasts can expect and their mean the ideal predictor; set beside the baseline, and the
# evaluation's translations once made (OUT/eval/t1ce-bound.md). BraTS style only. Every stage shares
# stage 1's preprocessing, so stage 1's run gives the units (the baseline is made first where missing).
t1ce_bound() {
  local eval=$OUT/eval
  [ "$STYLE" = brats ] || { echo "t1ce-bound: the IXI-style phantoms have no T1ce" >&2; exit 1; }
  echo "== T1ce redrawn $T1CE_DRAWS times per held-out case: what the tasks into T1ce leave to gain"
  mkdir -p "$eval"
  [ -f "$eval/eval-trained-affine/scores.json" ] || trained_affine "$OUT/stage1"
  node scripts/quality/aldm-t1ce-bound.mjs --data "$OUT/data/heldout" --units "$OUT/stage1" --draws "$T1CE_DRAWS" \
    --baseline "$eval/eval-trained-affine/scores.json" $([ -f "$eval/eval-aldm/scores.json" ] && echo --model "$eval/eval-aldm/scores.json") \
    > "$eval/t1ce-bound.md.part"
  mv "$eval/t1ce-bound.md.part" "$eval/t1ce-bound.md"
  cat "$eval/t1ce-bound.md"
}

for stage in $STAGES; do
  case $stage in
    autoencoder)
      parent=${STAGE1_FROM:-$OUT/stage1} cycle=1
      if [ -z "$STAGE1_FROM" ]; then
        train_stage "stage 1 (autoencoder)" "$OUT/stage1" "$STAGE1_STEPS" --val-every 200 --stage autoencoder \
          --preprocess "$PREPROCESS" --lr-decay cosine --lr-decay-from "$STAGE1_DECAY_FROM"
      fi
      for spec in "${cycles[@]}"; do
        IFS=: read -r steps lr loss <<< "$spec"
        case $loss in l1|mse) ;; *) echo "STAGE1_CYCLES: '$spec' must be STEPS:LR:LOSS with LOSS l1 or mse" >&2; exit 1 ;; esac
        cycle=$((cycle + 1))
        train_stage "stage 1, cycle $cycle ($loss)" "$OUT/stage1-cycle$cycle" "$steps" --val-every 200 --stage autoencoder --parent "$parent" \
          --lr "$lr" --lr-decay cosine --lr-decay-from 0 $([ "$loss" = mse ] && echo --reconstruction-loss mse)
        parent=$OUT/stage1-cycle$cycle
      done ;;
    spade) train_stage "stage 2 (MS-SPADE)" "$STAGE2_RUN" "$STAGE2_STEPS" --val-every 200 --stage spade --parent "$AUTOENCODER_RUN" \
      --spade-loss "$STAGE2_SPADE_LOSS" $([ "$STAGE2_DECAY_FROM" -lt "$STAGE2_STEPS" ] && echo --lr-decay cosine --lr-decay-from "$STAGE2_DECAY_FROM") ;;
    diffusion) train_stage "stage 3 (latent diffusion)" "$STAGE3_RUN" "$STAGE3_STEPS" --val-every "$STAGE3_VAL_EVERY" --stage diffusion \
      --parent "$STAGE2_RUN" --val-sample-steps "$STAGE3_VAL_SAMPLE_STEPS" --prediction-type "$STAGE3_PREDICTION_TYPE" \
      $([ "$STAGE3_DECAY_FROM" -lt "$STAGE3_DECAY_TO" ] && echo --lr-decay cosine --lr-decay-from "$STAGE3_DECAY_FROM" --lr-decay-to "$STAGE3_DECAY_TO") ;;
    reconstruction) check_autoencoder ;;
    first-stage) first_stage ;;
    sampled) sampled ;;
    evaluate) evaluate ;;
    extras) extras ;;
    t1ce-bound) t1ce_bound ;;
    *) echo "unknown stage '$stage' (expected autoencoder, reconstruction, spade, first-stage, diffusion, sampled, evaluate, extras, t1ce-bound)" >&2; exit 1 ;;
  esac
done
