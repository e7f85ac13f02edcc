# The cWDM reference network's layout (spec §4.3: C 64, mult 1,2,2,4,4, two ResBlocks per level, resblock up/down,
# concatenation skips, GroupNorm in float32, 32 -> 8 channels, 81,511,048 parameters) written out here in plain
# PyTorch, to time it on the same machine, at the same moment, as our network (bench/cwdm-vs-pytorch.sh): the
# spec's CPU anchors were taken on another machine of this kind, and machines and load differ.
# Needs Debian's PyTorch: apt-get install python3-torch.
#   /usr/bin/python3 bench/pytorch-reference-unet.py train|denoise 64x64x64 REPEATS   -> one JSON line
import sys, time, json, resource
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
class GN32(nn.GroupNorm):
    def forward(self, x): return super().forward(x.float()).type(x.dtype)
class Res(nn.Module):
    def __init__(s, cin, cout, emb, res=None):
        super().__init__(); s.res = res
        s.in_layers = nn.Sequential(GN32(32, cin), nn.SiLU(), nn.Conv3d(cin, cout, 3, padding=1))
        s.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, cout))
        s.out_layers = nn.Sequential(GN32(32, cout), nn.SiLU(), nn.Dropout(0), nn.Conv3d(cout, cout, 3, padding=1))
        s.skip = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, 1)
    def forward(s, x, emb):
        if s.res:
            rest, conv = s.in_layers[:-1], s.in_layers[-1]
            h = rest(x)
            f = (lambda z: F.avg_pool3d(z, 2)) if s.res == 'down' else (lambda z: F.interpolate(z, scale_factor=2, mode='nearest'))
            h = conv(f(h)); x = f(x)
        else:
            h = s.in_layers(x)
        h = h + s.emb_layers(emb)[..., None, None, None]
        return s.skip(x) + s.out_layers(h)
class Seq(nn.Sequential):
    def forward(s, x, emb):
        for m in s: x = m(x, emb) if isinstance(m, Res) else m(x)
        return x
class UNet(nn.Module):
    def __init__(s, C=64, mult=(1, 2, 2, 4, 4), nrb=2, cin=32):
        super().__init__(); e = 4 * C; s.C = C
        s.time_embed = nn.Sequential(nn.Linear(C, e), nn.SiLU(), nn.Linear(e, e))
        s.input_blocks = nn.ModuleList([Seq(nn.Conv3d(cin, C, 3, padding=1))]); ch = C; chans = [ch]
        for lvl, m in enumerate(mult):
            for _ in range(nrb):
                s.input_blocks.append(Seq(Res(ch, m * C, e))); ch = m * C; chans.append(ch)
            if lvl != len(mult) - 1:
                s.input_blocks.append(Seq(Res(ch, ch, e, 'down'))); chans.append(ch)
        s.middle_block = Seq(Res(ch, ch, e), Res(ch, ch, e))
        s.output_blocks = nn.ModuleList()
        for lvl, m in list(enumerate(mult))[::-1]:
            for i in range(nrb + 1):
                layers = [Res(ch + chans.pop(), C * m, e)]; ch = C * m
                if lvl and i == nrb: layers.append(Res(ch, ch, e, 'up'))
                s.output_blocks.append(Seq(*layers))
        s.out = nn.Sequential(GN32(32, ch), nn.SiLU(), nn.Conv3d(ch, 8, 3, padding=1))
    def forward(s, x, t):
        half = s.C // 2
        freqs = torch.exp(-torch.log(torch.tensor(10000.0)) * torch.arange(half, dtype=torch.float32) / half)
        a = t[:, None].float() * freqs[None]
        emb = s.time_embed(torch.cat([torch.cos(a), torch.sin(a)], -1))
        hs = []; h = x
        for b in s.input_blocks: h = b(h, emb); hs.append(h)
        h = s.middle_block(h, emb)
        for b in s.output_blocks: h = b(torch.cat([h, hs.pop()], 1), emb)
        return s.out(h)
task, size, repeats = sys.argv[1], [int(v) // 2 for v in sys.argv[2].split('x')], int(sys.argv[3])
torch.manual_seed(0); m = UNet()
assert sum(p.numel() for p in m.parameters()) == 81511048
x = torch.randn(1, 32, *size); t = torch.tensor([500]); times = []
if task == 'train':
    opt = torch.optim.AdamW(m.parameters(), lr=1e-5, weight_decay=0); target = torch.randn(1, 8, *size)
    for _ in range(repeats):
        s = time.perf_counter(); loss = F.mse_loss(m(x, t), target); loss.backward(); opt.step(); opt.zero_grad()
        times.append(time.perf_counter() - s)
else:
    with torch.no_grad():
        for _ in range(repeats):
            s = time.perf_counter(); m(x, t); times.append(time.perf_counter() - s)
print(json.dumps({'seconds': times, 'maxRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
