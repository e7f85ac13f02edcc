#!/usr/bin/env bash
# Times ALDM's networks in PyTorch (bench/pytorch-reference-aldm.py, the reference layout in plain PyTorch) and in
# mrsynth (bench:aldm's child), alternating them so that both see the same machine state, with the same threads,
# sizes, steps and repeats; one JSON line per measurement, then both side by side with ours / PyTorch (issue 18's
# target: ≤ 1.05× its time and peak RSS). First checks that the PyTorch layout reproduces the oracle fixture, and
# compares nothing if it does not. Needs apt-get install python3-torch (run as /usr/bin/python3, not a pyenv one).
#   bash bench/aldm-vs-pytorch.sh [REPEATS] [PARTS/SIZES]
# PARTS/SIZES: a list of PART (its default sizes, as bench:aldm), PART@SIZE[,SIZE…], or SIZE (every part at that
# size); sizes are image sizes, the U-Net parts run at a quarter of each axis. Parts: unet-train unet-denoise ae-train
# encode decode. Default: every part at the issue's sizes (the full ones take tens of GB and minutes per step).
#   bash bench/aldm-vs-pytorch.sh 3 "unet-train@48x64x48 ae-train@48x64x48"     e.g. a quick run
# CONFIGS (default "code cpu") picks the configs; MRSYNTH_THREADS (default 2) sets both sides' intra-op threads.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
items=${2:-"unet-train unet-denoise ae-train encode decode"}
configs=${CONFIGS:-"code cpu"}
export MRSYNTH_THREADS=${MRSYNTH_THREADS:-2}
# mrsynth sets this unless the user has (README, "Threads"): idle OpenMP workers sleep instead of spinning. Set for both
# sides, so the comparison is of the networks, not of the thread pool's policy.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
python=/usr/bin/python3
fixture=test-fixtures/aldm/aldm-reference-tiny.safetensors

parts="unet-train unet-denoise ae-train encode decode"
default_sizes() {
  case $1 in
    # The issue's latent 18×24×18 does not halve twice (the code U-Net cannot take it); 20×24×20 is the nearest that does.
    unet-train|unet-denoise) echo "48x64x48 80x96x80 144x192x144" ;;
    ae-train) echo "48x64x48 72x96x72" ;;
    encode|decode) echo "144x192x144" ;;
  esac
}
# Expands the items into "PART SIZE" lines, refusing anything else before a long run starts.
todo=$(for item in $items; do
  if [[ $item =~ ^[0-9]+x[0-9]+x[0-9]+$ ]]; then
    for part in $parts; do echo "$part $item"; done
    continue
  fi
  part=${item%%@*}
  if [[ " $parts " != *" $part "* ]]; then
    echo "aldm-vs-pytorch: '$item' names no part; parts are $parts" >&2
    exit 1
  fi
  if [[ $item == *@* ]]; then sizes=${item#*@}; sizes=${sizes//,/ }; else sizes=$(default_sizes "$part"); fi
  for size in $sizes; do
    if [[ ! $size =~ ^[0-9]+x[0-9]+x[0-9]+$ ]]; then
      echo "aldm-vs-pytorch: '$size' in '$item' is not a size XxYxZ" >&2
      exit 1
    fi
    echo "$part $size"
  done
done)

if ! "$python" bench/pytorch-reference-aldm.py verify "$fixture"; then
  echo "aldm-vs-pytorch: the PyTorch layout does not reproduce $fixture, so it is not the reference's network; not comparing" >&2
  exit 1
fi

echo "ALDM, PyTorch $("$python" -c 'import torch; print(torch.__version__)') vs mrsynth, batch 1, float32, $MRSYNTH_THREADS threads," \
  "median of $repeats after 1 warm-up, each in a fresh process; load average $(cut -d' ' -f1-3 /proc/loadavg)"
results=""
for config in $configs; do
  while read -r part size; do
    # </dev/null: the children must not read the job list this loop reads.
    ref=$("$python" bench/pytorch-reference-aldm.py "$part" "$config" "$size" "$repeats" </dev/null)
    echo "$part $config $size pytorch $ref"
    ours=$(node --import tsx bench/aldm.bench.ts --child \
      "{\"config\":\"$config\",\"part\":\"$part\",\"image\":[${size//x/,}],\"repeats\":$repeats}" </dev/null)
    echo "$part $config $size mrsynth $ours"
    results+="$part $config $size $ref $ours"$'\n'
  done <<< "$todo"
done

echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg). Median wall seconds per step (median CPU time / threads); GB = 10^9 bytes."
# The side-by-side table, from the "PART CONFIG SIZE PYTORCH_JSON MRSYNTH_JSON" lines collected above.
summary=$(cat <<'EOF'
import json, statistics, sys
print(f"{'part':<14}{'config':<8}{'image':<13}{'PyTorch s':>16}{'mrsynth s':>16}{'time':>8}{'peak RSS GB':>16}{'RSS':>8}")
for line in sys.stdin.read().splitlines():
    part, config, size, rest = line.split(' ', 3)
    ref, end = json.JSONDecoder().raw_decode(rest)
    ours = json.loads(rest[end:])
    median = lambda m, key: statistics.median(m[key])
    seconds = lambda m: f"{median(m, 'seconds'):.2f} ({median(m, 'cpuSeconds'):.2f})"
    ratio = lambda r: f"{r:.2f}x" + ('' if r <= 1.05 else '!')
    rss = f"{ref['maxRssBytes'] / 1e9:.2f} / {ours['maxRssBytes'] / 1e9:.2f}"
    print(f"{part:<14}{config:<8}{size:<13}{seconds(ref):>16}{seconds(ours):>16}"
          f"{ratio(median(ours, 'seconds') / median(ref, 'seconds')):>8}{rss:>16}{ratio(ours['maxRssBytes'] / ref['maxRssBytes']):>8}")
print("time, RSS: mrsynth / PyTorch; ! marks a ratio over the issue's 1.05.")
EOF
)
"$python" -c "$summary" <<< "${results%$'\n'}"
