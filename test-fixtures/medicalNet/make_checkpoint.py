"""Writes the MedicalNet ResNet-10 test checkpoint and the features PyTorch computes with it.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 make_checkpoint.py

resnet10-tiny.pth holds a network of the layout of MedicalNet's ResNet-10 (Chen et al., "Med3D", github.com/Tencent/
MedicalNet, models/resnet.py: resnet10 with shortcut B), every width divided by 8, with randomly drawn weights and
batch-norm statistics gathered on random volumes, saved as MedicalNet's train.py saves a DataParallel model:
{'ecpoch', 'batch_id', 'state_dict': {'module.<key>': tensor}} (MedicalNet's own spellings). The segmentation head
`conv_seg` that MedicalNet's ResNet carries is saved too, since it is not part of the feature network and an import
must set it aside. resnet10-tiny-features.safetensors holds two input volumes, the input as MONAI's PerceptualLoss
standardises it (one mean and one unbiased standard deviation over the whole tensor) and layer4's output of the
network in eval mode for it: the features MONAI's MedicalNetPerceptualSimilarity compares. The layout was written
afresh from MedicalNet's description; nothing is copied from its code or weights. Same bytes on every run.
"""
import json
import os
import struct
from collections import OrderedDict

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
# MedicalNet's widths (64, 128, 256, 512) and head width (32), divided by 8 to keep the file small.
WIDTH = 8
HEAD_WIDTH = 4
SEG_CLASSES = 2
INPUT_SHAPE = (2, 1, 23, 32, 18)  # odd sizes check the padding of every strided layer


def conv3(cin, cout, stride=1, dilation=1):
    return nn.Conv3d(cin, cout, kernel_size=3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, dilation):
        super().__init__()
        self.conv1 = conv3(cin, cout, stride, dilation)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = conv3(cout, cout, 1, dilation)
        self.bn2 = nn.BatchNorm3d(cout)
        # Shortcut B: a strided 1x1x1 projection wherever the stride or the width changes.
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv3d(cin, cout, kernel_size=1, stride=stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


class ResNet10(nn.Module):
    def __init__(self, width):
        super().__init__()
        w = width
        self.conv1 = nn.Conv3d(1, w, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm3d(w)
        self.maxpool = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
        # One block per stage; stages 3 and 4 keep the resolution and dilate instead (2, 4).
        self.layer1 = nn.Sequential(BasicBlock(w, w, 1, 1))
        self.layer2 = nn.Sequential(BasicBlock(w, 2 * w, 2, 1))
        self.layer3 = nn.Sequential(BasicBlock(2 * w, 4 * w, 1, 2))
        self.layer4 = nn.Sequential(BasicBlock(4 * w, 8 * w, 1, 4))
        self.conv_seg = nn.Sequential(
            nn.ConvTranspose3d(8 * w, HEAD_WIDTH, 2, stride=2), nn.BatchNorm3d(HEAD_WIDTH), nn.ReLU(),
            nn.Conv3d(HEAD_WIDTH, HEAD_WIDTH, 3, padding=1, bias=False), nn.BatchNorm3d(HEAD_WIDTH), nn.ReLU(),
            nn.Conv3d(HEAD_WIDTH, SEG_CLASSES, 1, bias=False))

    def features(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        return self.conv_seg(self.features(x))


def standardise(volume):
    return (volume - volume.mean()) / volume.std()


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    body = b''
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensor.shape), 'data_offsets': [len(body), len(body) + len(data)]}
        body += data
    encoded = json.dumps(header, separators=(',', ':')).encode()
    encoded += b' ' * (-len(encoded) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(encoded)) + encoded + body)


torch.set_num_threads(1)
torch.manual_seed(2019)
model = ResNet10(WIDTH)
with torch.no_grad():
    for module in model.modules():
        if isinstance(module, (nn.Conv3d, nn.ConvTranspose3d)):
            nn.init.kaiming_normal_(module.weight, mode='fan_out')  # MedicalNet's initialisation
        elif isinstance(module, nn.BatchNorm3d):
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0, 0.2)
            module.momentum = 0.5
    # Running statistics as training leaves them: gathered over a few batches, so each differs from 0 and 1 and from
    # the statistics of the test input.
    model.train()
    for _ in range(4):
        model(standardise(torch.rand(INPUT_SHAPE) + torch.randn(INPUT_SHAPE) * 0.3))
    for module in model.modules():
        if isinstance(module, nn.BatchNorm3d):
            module.momentum = 0.1

model.eval()
grid = torch.stack(torch.meshgrid(*[torch.linspace(-1, 1, n) for n in INPUT_SHAPE[2:]], indexing='ij'))
head = (grid.pow(2).sum(0) < 0.8).float()  # a bright ellipsoid on a dark background, as a skull-stripped MRI
volume = (head * (0.6 + 0.3 * torch.rand(INPUT_SHAPE))).float()
volume[1] *= 2.5  # a second intensity scale: standardisation takes statistics of the whole tensor
standardised = standardise(volume)
with torch.no_grad():
    features = model.features(standardised)

state_dict = nn.DataParallel(model).state_dict()
torch.save({'ecpoch': 199, 'batch_id': 0, 'state_dict': state_dict}, os.path.join(HERE, 'resnet10-tiny.pth'))
write_safetensors(os.path.join(HERE, 'resnet10-tiny-features.safetensors'),
                  OrderedDict(input=volume, standardised=standardised, features=features),
                  {'width': str(WIDTH), 'torch': torch.__version__, 'threads': '1'})
print(f'{len(state_dict)} state-dict tensors, features {tuple(features.shape)}, '
      f'|features| max {features.abs().max():.4f} mean {features.abs().mean():.4f}, '
      f'zero fraction {(features == 0).float().mean():.3f}')
