"""Writes lightning-stage2.ckpt: a checkpoint laid out as PyTorch Lightning 1.x saves ALDM's stage-2 VQModel.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 make_lightning_checkpoint.py

The weights are the oracle fixture's (aldm-reference-tiny.safetensors: `vqgan.*` as the model, `disc2.*` as the
stage-2 discriminator under `loss.discriminator.*`), so an import can be checked value for value against the
fixture. Around them, what Lightning writes beside a state dict: epoch, global_step, its version, optimizer states
(AdamW moments of a few parameters), lr_schedulers, callbacks (a ModelCheckpoint state holding a tensor) and
hyper_parameters holding an omegaconf-typed object. omegaconf is not installed here, so a class of the same module
and name is pickled in its place: the pickle then names omegaconf.dictconfig.DictConfig as a real one does, which is
all a reader sees. Nothing here comes from the reference's checkpoints.
"""
import json
import os
import struct
import sys
import types
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        raw = bytearray(body[begin:end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[info['dtype']]).reshape(info['shape']).clone()
    return tensors


# A stand-in for omegaconf.dictconfig.DictConfig, pickled under that module and class name.
omegaconf = types.ModuleType('omegaconf')
dictconfig = types.ModuleType('omegaconf.dictconfig')


class DictConfig:
    def __init__(self, content):
        self._content = content
        self._metadata = {'object_type': dict, 'optional': True}


DictConfig.__module__ = 'omegaconf.dictconfig'
dictconfig.DictConfig = DictConfig
omegaconf.dictconfig = dictconfig
sys.modules['omegaconf'] = omegaconf
sys.modules['omegaconf.dictconfig'] = dictconfig

fixture = read_safetensors(os.path.join(HERE, 'aldm-reference-tiny.safetensors'))
state_dict = OrderedDict()
for name, tensor in fixture.items():
    if name.startswith('vqgan.'):
        state_dict[name[len('vqgan.'):]] = tensor
for name, tensor in fixture.items():
    if name.startswith('disc2.'):
        state_dict['loss.discriminator.' + name[len('disc2.'):]] = tensor

generator = torch.Generator().manual_seed(7)
moments = {i: {'step': 3400, 'exp_avg': torch.randn(tensor.shape, generator=generator),
               'exp_avg_sq': torch.rand(tensor.shape, generator=generator)}
           for i, tensor in enumerate([state_dict['quant_conv.weight'], state_dict['quant_conv.bias']])}
checkpoint = {
    'epoch': 12,
    'global_step': 3400,
    'pytorch-lightning_version': '1.4.2',
    'state_dict': state_dict,
    'callbacks': {"ModelCheckpoint{'monitor': 'val/rec_loss', 'mode': 'min'}": {
        'monitor': 'val/rec_loss', 'best_model_score': torch.tensor(0.0421), 'best_model_path': 'logs/epoch=12.ckpt'}},
    'optimizer_states': [{'state': moments, 'param_groups': [{'lr': 4.5e-6, 'betas': (0.5, 0.9), 'params': [0, 1]}]}],
    'lr_schedulers': [],
    'hyper_parameters': {'ddconfig': DictConfig({'z_channels': 4, 'ch': 16, 'ch_mult': [1, 1, 2]}), 'n_embed': 64, 'embed_dim': 4},
}
torch.save(checkpoint, os.path.join(HERE, 'lightning-stage2.ckpt'))
print('wrote lightning-stage2.ckpt with', len(state_dict), 'state-dict tensors')
