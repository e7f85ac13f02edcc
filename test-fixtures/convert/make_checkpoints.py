"""Writes the torch.save checkpoints for the `mrsynth convert` tests.

Run with Debian's PyTorch (apt-get install python3-torch), after dumpKeys.ts:  /usr/bin/python3 make_checkpoints.py
The keys and shapes are those of our cWDM `tiny` network (tiny-keys.json). Every value follows a formula the test
recomputes on its own, so a converted file can be checked element by element without trusting our reader:
tensor i (in tiny-keys.json order), element j (row-major) = float32(((i * 7919 + j) mod 1000) / 1000 - 0.5).
"""
import json
import os
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def values(i, shape):
    n = 1
    for d in shape:
        n *= d
    j = torch.arange(n, dtype=torch.float64)
    return (((j + i * 7919) % 1000) / 1000 - 0.5).float().reshape(shape)


def state_dict(entries, prefix=''):
    sd = OrderedDict((prefix + e['key'], values(i, e['shape'])) for i, e in enumerate(entries))
    # nn.Module.state_dict() attaches per-module versions; a real checkpoint carries them, so these do too.
    modules = sorted({prefix + e['key'].rsplit('.', 1)[0] for e in entries} | {prefix.rstrip('.')})
    sd._metadata = OrderedDict((m, {'version': 1}) for m in modules)
    return sd


with open(os.path.join(HERE, 'tiny-keys.json')) as f:
    entries = json.load(f)

# The reference's layout: train.py saves model.state_dict() as it is (spec §6).
torch.save(state_dict(entries), os.path.join(HERE, 'tiny-state-dict.pt'))
# A wrapped layout: a DataParallel model's state dict (keys prefixed 'module.') under 'state_dict', next to
# non-tensor entries, as training scripts other than the reference's write them.
torch.save({'state_dict': state_dict(entries, 'module.'), 'epoch': 3, 'args': {'lr': 1e-5, 'name': 'cwdm'}},
           os.path.join(HERE, 'tiny-wrapped.pt'))
