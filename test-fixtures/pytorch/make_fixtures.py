"""Writes the torch.save fixtures for src/io/pytorch and the values the loader must reproduce.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 make_fixtures.py
Every tensor is listed in expected.json under its flattened key with dtype, shape and its values in row-major
order (int64 as decimal strings, so that JSON numbers never round them).
"""
import json
import os
import pickle
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_NAMES = {
    torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL',
}


def describe(t):
    values = t.detach().reshape(-1).tolist()
    if t.dtype == torch.int64:
        values = [str(v) for v in values]
    elif t.dtype == torch.bool:
        values = [int(v) for v in values]
    return {'dtype': DTYPE_NAMES[t.dtype], 'shape': list(t.shape), 'values': values}


def flatten(obj, prefix, out):
    if isinstance(obj, torch.Tensor):
        out[prefix] = describe(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, f'{prefix}.{k}' if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            flatten(v, f'{prefix}.{i}' if prefix else str(i), out)


def tiny_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv3d(2, 4, kernel_size=3),
        torch.nn.BatchNorm3d(4),
        torch.nn.SiLU(),
        torch.nn.Linear(4, 3),
    )
    # One training-mode forward pass gives the BatchNorm running statistics non-trivial values.
    model(torch.randn(2, 2, 3, 3, 6))
    return model


def mixed_checkpoint(model):
    torch.manual_seed(1)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    ema = OrderedDict((k, v.clone() * 0.5) for k, v in model.state_dict().items())
    return {
        'model': model.state_dict(),
        'ema': ema,
        'tensors': {
            'f64': torch.randn(3, 2, dtype=torch.float64),
            'f16': torch.tensor([0.5, -2.0, 65504.0, 6.1035156e-05], dtype=torch.float16),
            'bf16': torch.tensor([1.0, -3.5, 1e30, 0.0078125], dtype=torch.bfloat16),
            'i64': torch.tensor([-5, 2**40 + 1, -(2**62)], dtype=torch.int64),
            'i32': torch.tensor([[-7, 2**31 - 1]], dtype=torch.int32),
            'i16': torch.tensor([-300, 300], dtype=torch.int16),
            'i8': torch.tensor([-128, 127], dtype=torch.int8),
            'u8': torch.tensor([0, 200, 255], dtype=torch.uint8),
            'bool': torch.tensor([True, False, True]),
            'scalar': torch.tensor(2.25),
            'empty': torch.zeros(0, 3),
            # Views of one storage: saved once, rebuilt from offset/size/stride.
            'base': base,
            'transposed': base.t(),
            'column': base[:, 2],
            'block': base[1:3, 2:5],
            'expanded': torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
            'parameter': torch.nn.Parameter(torch.tensor([0.25, 0.75])),
        },
        'layers': [torch.tensor([1, 2], dtype=torch.int32), torch.tensor([3.0])],
        'epoch': 7,
        'big': 2**40,
        'lr': 1e-4,
        'name': 'tiny',
        'flags': (True, False, None),
    }


# Plain data pickled by Python itself, to check the unpickler's opcodes against the reference pickler.
PLAIN = {
    'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**53, -2**63, 2**70],
    'floats': [0.5, -1e-300, 1e308],
    'text': ['', 'ascii', 'gr\u00fc\u00df \u2603 \U0001f600'],
    'nested': {'tuple': (1, (2, 3), ()), 'list': [[], [None, True, False]], 7: 'int key'},
    'shared': None,
}
SHARED = ['same object']
PLAIN['shared'] = [SHARED, SHARED]


def save(obj, name, **kwargs):
    torch.save(obj, os.path.join(HERE, name), **kwargs)


def main():
    model = tiny_model()
    save(model.state_dict(), 'state_dict.pt')
    checkpoint = mixed_checkpoint(model)
    save(checkpoint, 'checkpoint.pt')
    save(checkpoint, 'checkpoint-protocol4.pt', pickle_protocol=4)
    save(model.state_dict(), 'legacy.pt', _use_new_zipfile_serialization=False)

    for protocol in (2, 5):
        with open(os.path.join(HERE, f'plain-protocol{protocol}.pkl'), 'wb') as f:
            pickle.dump(PLAIN, f, protocol=protocol)

    expected = {'state_dict.pt': {}, 'checkpoint.pt': {}}
    flatten(model.state_dict(), '', expected['state_dict.pt'])
    flatten(checkpoint, '', expected['checkpoint.pt'])
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump({'torch': torch.__version__, **expected}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
