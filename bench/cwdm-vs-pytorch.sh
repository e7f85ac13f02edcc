#!/usr/bin/env bash
# Times the paper network's training and denoising steps in PyTorch (bench/pytorch-reference-unet.py) and in mrsynth
# (bench:cwdm's child, fp32 and bf16), alternating them so that both see the same machine state; 2 threads, one
# JSON line per measurement (seconds per step, peak RSS). Needs apt-get install python3-torch.
#   bash bench/cwdm-vs-pytorch.sh [REPEATS] [SIZES]     e.g. bash bench/cwdm-vs-pytorch.sh 3 "64x64x64 96x96x64"
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
sizes=${2:-"64x64x64 96x96x64 128x128x96"}
for size in $sizes; do
  image=${size//x/,}
  for task in train denoise; do
    echo "$size $task pytorch $(/usr/bin/python3 bench/pytorch-reference-unet.py "$task" "$size" "$repeats")"
    for precision in fp32 bf16; do
      echo "$size $task $precision $(MRSYNTH_THREADS=2 node --import tsx bench/cwdm.bench.ts --child \
        "{\"image\":[$image],\"task\":\"$task\",\"precision\":\"$precision\",\"repeats\":$repeats}")"
    done
  done
done
