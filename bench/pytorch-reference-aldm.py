# ALDM's reference layout (jongdory/ALDM @ 5e17b9f, spec ../shared/spec/aldm-reference.md, issue 18) written out here
# in plain PyTorch from the spec: taming's 3-D Encoder/Decoder (no attention, no mid attention or second mid block),
# VectorQuantizer2 with the legacy loss, MS-SPADE, the 3-D PatchGAN (NLayerDiscriminator) and the subset of
# openaimodel.UNetModel that ALDM configures (legacy QKV attention, class embedding). It exists to time the reference's
# networks on the same machine, at the same moment, as ours (bench/aldm-vs-pytorch.sh), and the state-dict keys are
# the reference's so that `verify` can load the oracle fixture into it and show it is the same network.
# Needs Debian's PyTorch (apt-get install python3-torch; run with /usr/bin/python3).
#   /usr/bin/python3 bench/pytorch-reference-aldm.py verify test-fixtures/aldm/aldm-reference-tiny.safetensors
#   /usr/bin/python3 bench/pytorch-reference-aldm.py PART CONFIG IMAGE REPEATS   -> one JSON line
# PART: unet-train | unet-denoise | ae-train | encode | decode; CONFIG: code | cpu; IMAGE e.g. 48x64x48 (the U-Net runs
# at the latent, IMAGE / 4). Threads: MRSYNTH_THREADS (default 2), as the mrsynth side reads it.
import json, math, os, resource, struct, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

# The fixture's `__metadata__.config` names; `code` is the released yamls, `cpu` mrsynth's narrower candidate (issue 19).
CODE = dict(ae_ch=64, ae_ch_mult=[1, 1, 2], ae_num_res_blocks=1, ae_groups=32, z_channels=4, n_embed=8192, vq_beta=0.25,
            spade_nf=128, spade_hidden=64, num_classes=4, disc_ndf=32, disc_layers=3, unet_model_channels=128,
            unet_channel_mult=[1, 1, 2], unet_num_res_blocks=1, unet_attention_resolutions=[4, 2], unet_num_head_channels=32)
CONFIGS = {'code': CODE, 'cpu': dict(CODE, ae_ch=32, ae_groups=16, spade_nf=32, unet_model_channels=64)}
# Parameter counts per part, checked on the reference (issue 18; issue 19 for cpu): a typo in the layout fails here.
COUNTS = {'code': dict(encoder=2238340, decoder=4230721, quantize=32768, spade=18932428, disc=2771873, unet=33197316),
          'cpu': dict(encoder=564164, decoder=1062689, quantize=32768, spade=4412044, disc=2771873, unet=8320644)}
# The reference's attention blocks always run under gradient checkpointing (openaimodel.AttentionBlock passes True):
# their forward is recomputed in the backward pass instead of keeping the token² weights. 0 turns that off here, to
# see what it costs or saves.
ATTENTION_CHECKPOINT = os.environ.get('REFERENCE_ATTENTION_CHECKPOINT', '1') != '0'


def conv3(cin, cout): return nn.Conv3d(cin, cout, 3, padding=1)
def swish(x): return x * torch.sigmoid(x)  # as taming writes it; F.silu rounds differently in the last bit


# ---------------------------------------------------------------- autoencoder (taming's model.py, as ALDM configures it)

class AeResBlock(nn.Module):
    def __init__(s, cin, cout, groups):
        super().__init__()
        s.norm1 = nn.GroupNorm(groups, cin, eps=1e-6); s.conv1 = conv3(cin, cout)
        s.norm2 = nn.GroupNorm(groups, cout, eps=1e-6); s.conv2 = conv3(cout, cout)
        if cin != cout: s.nin_shortcut = nn.Conv3d(cin, cout, 1)
    def forward(s, x):
        h = s.conv2(swish(s.norm2(s.conv1(swish(s.norm1(x))))))
        return (s.nin_shortcut(x) if hasattr(s, 'nin_shortcut') else x) + h

class AeDown(nn.Module):  # pad the high side by one, then a stride-2 conv without padding
    def __init__(s, c): super().__init__(); s.conv = nn.Conv3d(c, c, 3, stride=2)
    def forward(s, x): return s.conv(F.pad(x, (0, 1, 0, 1, 0, 1)))

class AeUp(nn.Module):
    def __init__(s, c): super().__init__(); s.conv = conv3(c, c)
    def forward(s, x): return s.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))

class AeLevel(nn.Module):  # `down.l` / `up.l`; its empty `attn` list has no keys and is left out
    def __init__(s, blocks, resample=None):
        super().__init__(); s.block = nn.ModuleList(blocks)
        if resample is not None: setattr(s, resample[0], resample[1])
        s.resample = None if resample is None else resample[0]
    def forward(s, x):
        for b in s.block: x = b(x)
        return x if s.resample is None else getattr(s, s.resample)(x)

class AeMid(nn.Module):
    def __init__(s, c, groups): super().__init__(); s.block_1 = AeResBlock(c, c, groups)
    def forward(s, x): return s.block_1(x)

class Encoder(nn.Module):
    def __init__(s, k):
        super().__init__(); ch, mult, g = k['ae_ch'], k['ae_ch_mult'], k['ae_groups']
        s.conv_in = conv3(1, ch); c = ch; levels = []
        for l, m in enumerate(mult):
            blocks = []
            for _ in range(k['ae_num_res_blocks']): blocks.append(AeResBlock(c, ch * m, g)); c = ch * m
            levels.append(AeLevel(blocks, None if l == len(mult) - 1 else ('downsample', AeDown(c))))
        s.down = nn.ModuleList(levels); s.mid = AeMid(c, g)
        s.norm_out = nn.GroupNorm(g, c, eps=1e-6); s.conv_out = conv3(c, k['z_channels'])
    def forward(s, x):
        h = s.conv_in(x)
        for level in s.down: h = level(h)
        return s.conv_out(swish(s.norm_out(s.mid(h))))

class Decoder(nn.Module):
    def __init__(s, k):
        super().__init__(); ch, mult, g = k['ae_ch'], k['ae_ch_mult'], k['ae_groups']
        c = ch * mult[-1]; s.conv_in = conv3(k['z_channels'], c); s.mid = AeMid(c, g); levels = []
        for l in reversed(range(len(mult))):  # built coarsest first, stored at index l
            blocks = []
            for _ in range(k['ae_num_res_blocks'] + 1): blocks.append(AeResBlock(c, ch * mult[l], g)); c = ch * mult[l]
            levels.insert(0, AeLevel(blocks, None if l == 0 else ('upsample', AeUp(c))))
        s.up = nn.ModuleList(levels); s.norm_out = nn.GroupNorm(g, c, eps=1e-6); s.conv_out = conv3(c, 1)
    def forward(s, z):
        h = s.mid(s.conv_in(z))
        for level in reversed(s.up): h = level(h)
        return s.conv_out(swish(s.norm_out(h)))  # no tanh

class VectorQuantizer(nn.Module):
    def __init__(s, n, d, beta):
        super().__init__(); s.beta = beta; s.embedding = nn.Embedding(n, d); s.embedding.weight.data.uniform_(-1 / n, 1 / n)
    def forward(s, z):
        zl = z.permute(0, 2, 3, 4, 1).contiguous(); zf = zl.view(-1, zl.shape[-1]); e = s.embedding.weight
        # The reference's expansion over the whole (voxels × codes) matrix at once: 2 GB at the code's 36×48×36 latent.
        d = zf.pow(2).sum(1, keepdim=True) + e.pow(2).sum(1) - 2 * torch.einsum('bd,dn->bn', zf, e.t())
        idx = torch.argmin(d, 1); zq = s.embedding(idx).view(zl.shape)
        loss = torch.mean((zq.detach() - zl) ** 2) + s.beta * torch.mean((zq - zl.detach()) ** 2)  # legacy weighting
        zq = zl + (zq - zl).detach()  # straight through
        return zq.permute(0, 4, 1, 2, 3).contiguous(), loss, idx

# ---------------------------------------------------------------- MS-SPADE (taming's normalization.py)

class SpadeLayer(nn.Module):  # self-modulated: IN(x)·(1 + γ(x)) + β(x)
    def __init__(s, c, hidden):
        super().__init__(); s.mlp_shared = nn.Sequential(conv3(c, hidden), nn.ReLU())
        s.mlp_gamma = conv3(hidden, c); s.mlp_beta = conv3(hidden, c)
    def forward(s, x):
        a = s.mlp_shared(x)
        return F.instance_norm(x, eps=1e-5) * (1 + s.mlp_gamma(a)) + s.mlp_beta(a)

class SpadeMultimodal(nn.Module):  # one layer per contrast; the reference runs the samples one at a time
    def __init__(s, classes, c, hidden): super().__init__(); s.spades = nn.ModuleList(SpadeLayer(c, hidden) for _ in range(classes))
    def forward(s, x, y): return torch.cat([s.spades[int(y[i])](x[i:i + 1]) for i in range(x.shape[0])], 0)

class SpadeResBlock(nn.Module):
    def __init__(s, classes, fin, fout, hidden):
        super().__init__(); mid = min(fin, fout)
        s.conv_0 = conv3(fin, mid); s.conv_1 = conv3(mid, fout); s.conv_s = nn.Conv3d(fin, fout, 1, bias=False)
        s.norm_0 = SpadeMultimodal(classes, fin, hidden); s.norm_1 = SpadeMultimodal(classes, mid, hidden)
    def forward(s, x, y):
        dx = s.conv_0(F.leaky_relu(s.norm_0(x, y), 0.2))
        dx = s.conv_1(F.leaky_relu(s.norm_1(dx, y), 0.2))
        return s.conv_s(x) + dx

class SpadeGenerator(nn.Module):
    def __init__(s, k):
        super().__init__(); z, nf = k['z_channels'], k['spade_nf']
        s.block = nn.ModuleList(SpadeResBlock(k['num_classes'], a, b, k['spade_hidden']) for a, b in [(z, nf), (nf, 2 * nf), (2 * nf, nf), (nf, z)])
    def forward(s, x, y):
        for b in s.block: x = b(x, y)
        return x

class VQModel(nn.Module):
    def __init__(s, k):
        super().__init__(); z = k['z_channels']
        s.encoder = Encoder(k); s.decoder = Decoder(k); s.quantize = VectorQuantizer(k['n_embed'], z, k['vq_beta'])
        s.quant_conv = nn.Conv3d(z, z, 1); s.post_quant_conv = nn.Conv3d(z, z, 1); s.spade = SpadeGenerator(k)
    def encode(s, x): return s.quantize(s.quant_conv(s.encoder(x)))
    def decode(s, z): return s.decoder(s.post_quant_conv(z))

class PatchGan(nn.Module):  # taming's NLayerDiscriminator in 3-D, GroupNorm(32); conv weights N(0, 0.02)
    def __init__(s, cin, cout, ndf, layers):
        super().__init__(); seq = [nn.Conv3d(cin, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]; c = ndf
        for n in range(1, layers + 1):
            nxt = ndf * min(2 ** n, 8)
            seq += [nn.Conv3d(c, nxt, 4, 2 if n < layers else 1, 1, bias=False), nn.GroupNorm(32, nxt), nn.LeakyReLU(0.2)]; c = nxt
        seq.append(nn.Conv3d(c, cout, 4, 1, 1)); s.main = nn.Sequential(*seq)
        for m in s.main:
            if isinstance(m, nn.Conv3d): nn.init.normal_(m.weight, 0.0, 0.02)
    def forward(s, x): return s.main(x)

# ---------------------------------------------------------------- U-Net (openaimodel.UNetModel subset, dims 3, legacy)

class GN32(nn.GroupNorm):
    def forward(s, x): return super().forward(x.float()).type(x.dtype)

def zero(m):
    for p in m.parameters(): p.detach().zero_()
    return m

class ResBlock(nn.Module):
    def __init__(s, cin, cout, emb):
        super().__init__()
        s.in_layers = nn.Sequential(GN32(32, cin), nn.SiLU(), conv3(cin, cout))
        s.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, cout))
        s.out_layers = nn.Sequential(GN32(32, cout), nn.SiLU(), nn.Dropout(0), zero(conv3(cout, cout)))
        s.skip_connection = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, 1)
    def forward(s, x, emb):
        h = s.in_layers(x) + s.emb_layers(emb)[..., None, None, None]
        return s.skip_connection(x) + s.out_layers(h)

class AttentionBlock(nn.Module):
    def __init__(s, c, head_channels):
        super().__init__(); s.heads = c // head_channels
        s.norm = GN32(32, c); s.qkv = nn.Conv1d(c, 3 * c, 1); s.proj_out = zero(nn.Conv1d(c, c, 1))
    def attend(s, x):
        b, c = x.shape[:2]; xf = x.reshape(b, c, -1); n = xf.shape[-1]; hc = c // s.heads
        # Legacy split: heads first, then q | k | v inside each head's 3·hc channels.
        q, k, v = s.qkv(s.norm(xf)).reshape(b * s.heads, 3 * hc, n).split(hc, 1)
        scale = 1 / math.sqrt(math.sqrt(hc))
        w = torch.einsum('bct,bcs->bts', q * scale, k * scale)
        w = torch.softmax(w.float(), -1).type(w.dtype)
        a = torch.einsum('bts,bcs->bct', w, v).reshape(b, c, n)
        return (xf + s.proj_out(a)).reshape(x.shape)
    def forward(s, x):
        if ATTENTION_CHECKPOINT and torch.is_grad_enabled(): return checkpoint(s.attend, x, use_reentrant=True)
        return s.attend(x)

class Downsample(nn.Module):
    def __init__(s, c): super().__init__(); s.op = nn.Conv3d(c, c, 3, stride=2, padding=1)
    def forward(s, x): return s.op(x)

class Upsample(nn.Module):
    def __init__(s, c): super().__init__(); s.conv = conv3(c, c)
    def forward(s, x): return s.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))

class EmbSeq(nn.Sequential):
    def forward(s, x, emb):
        for m in s: x = m(x, emb) if isinstance(m, ResBlock) else m(x)
        return x

class UNet(nn.Module):
    def __init__(s, k):
        super().__init__(); mc, mult, nrb = k['unet_model_channels'], k['unet_channel_mult'], k['unet_num_res_blocks']
        attn, hc, z = k['unet_attention_resolutions'], k['unet_num_head_channels'], k['z_channels']; e = 4 * mc; s.mc = mc
        s.time_embed = nn.Sequential(nn.Linear(mc, e), nn.SiLU(), nn.Linear(e, e))
        s.label_emb = nn.Embedding(k['num_classes'], e)
        s.input_blocks = nn.ModuleList([EmbSeq(conv3(3 * z, mc))]); ch = mc; ds = 1; skips = [ch]
        for l, m in enumerate(mult):
            for _ in range(nrb):
                layers = [ResBlock(ch, m * mc, e)]; ch = m * mc
                if ds in attn: layers.append(AttentionBlock(ch, hc))
                s.input_blocks.append(EmbSeq(*layers)); skips.append(ch)
            if l != len(mult) - 1:
                s.input_blocks.append(EmbSeq(Downsample(ch))); skips.append(ch); ds *= 2
        s.middle_block = EmbSeq(ResBlock(ch, ch, e), AttentionBlock(ch, hc), ResBlock(ch, ch, e))
        s.output_blocks = nn.ModuleList()
        for l in reversed(range(len(mult))):
            for i in range(nrb + 1):
                layers = [ResBlock(ch + skips.pop(), mc * mult[l], e)]; ch = mc * mult[l]
                if ds in attn: layers.append(AttentionBlock(ch, hc))
                if l and i == nrb: layers.append(Upsample(ch)); ds //= 2
                s.output_blocks.append(EmbSeq(*layers))
        s.out = nn.Sequential(GN32(32, ch), nn.SiLU(), zero(conv3(ch, z)))
    def embed(s, t, y):
        half = s.mc // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(0, half, dtype=torch.float32) / half)
        a = t[:, None].float() * freqs[None]
        return s.time_embed(torch.cat([torch.cos(a), torch.sin(a)], -1)) + s.label_emb(y)
    def forward(s, x, t, y):
        emb = s.embed(t, y); hs = []; h = x
        for b in s.input_blocks: h = b(h, emb); hs.append(h)
        h = s.middle_block(h, emb)
        for b in s.output_blocks: h = b(torch.cat([h, hs.pop()], 1), emb)
        return s.out(h)

# ---------------------------------------------------------------- schedule (scaled-linear β, T 1000; LDM's uniform DDIM)

def alphas_cumprod(T=1000):
    betas = torch.linspace(0.0015 ** 0.5, 0.0195 ** 0.5, T, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0)

def ddim_table(steps=50, eta=1.0, T=1000):
    ac = alphas_cumprod(T); tau = torch.arange(0, T, T // steps) + 1
    a = ac[tau]; ap = torch.cat([ac[:1], a[:-1]])
    sigma = eta * torch.sqrt((1 - ap) / (1 - a) * (1 - a / ap))
    return [(int(tau[i]), float(a[i]), float(ap[i]), float(sigma[i])) for i in reversed(range(len(tau)))]

# ---------------------------------------------------------------- verify: the fixture's weights in, its outputs out

def read_safetensors(path):
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}
    with open(path, 'rb') as f: raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]; header = json.loads(raw[8:8 + n]); data = raw[8 + n:]; out = {}
    for name, e in header.items():
        if name == '__metadata__': continue
        a, b = e['data_offsets']
        # bytearray: frombuffer wants writable memory, and the copy is aligned whatever the offset.
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[e['dtype']]).reshape(e['shape']) if b > a \
            else torch.zeros(e['shape'], dtype=dtypes[e['dtype']])
    return header['__metadata__'], out

def verify(path):
    torch.set_num_threads(1)  # the fixture was made single-threaded; the random-weight U-Net amplifies other sum orders
    meta, t = read_safetensors(path); k = json.loads(meta['config'])
    part = lambda p: {key[len(p) + 1:]: v for key, v in t.items() if key.startswith(p + '.')}
    vq, disc, unet = VQModel(k), PatchGan(1, 1, k['disc_ndf'], k['disc_layers']), UNet(k)
    for m, p in [(vq, 'vqgan'), (disc, 'disc1'), (unet, 'unet')]: m.load_state_dict(part(p), strict=True); m.eval()
    y = t['inputs.target_class']; failures = []
    def check(name, ours):
        ref = t[name]; err = (ours.double() - ref.double()).abs().max().item()
        tol = max(1e-5, 1e-4 * ref.double().abs().max().item()); ok = tuple(ours.shape) == tuple(ref.shape) and err <= tol
        print(f"  {name:<20} max |ours - reference| {err:.3g} (tolerance {tol:.3g}) {'ok' if ok else 'FAILED'}", file=sys.stderr)
        if not ok: failures.append(name)
    with torch.no_grad():
        source = t['inputs.source']; h = vq.encoder(source); check('outputs.encoder', h)
        zq, qloss, _ = vq.quantize(vq.quant_conv(h)); check('outputs.z_q', zq); check('outputs.vq_loss', qloss)
        decoded = vq.decode(t['outputs.z_q']); check('outputs.decoded', decoded)
        check('outputs.spade', vq.spade(t['outputs.z_q'], y))
        # The stage-1 generator loss the benchmark's ae-train step minimises (codebook weight 1, disc factor 1).
        rec = (source - decoded).abs().mean(); g = -disc(decoded).mean()
        check('loss.s1.rec', rec); check('loss.s1.g', g); check('loss.s1.total', rec + g + t['outputs.vq_loss'])
        ts = t['inputs.t']; check('outputs.unet_emb', unet.embed(ts, y))
        check('outputs.unet', unet(torch.cat([t['inputs.x_t'], t['ldm.c_concat']], 1), ts, y))
        # The ε-loss of the unet-train step: q_sample at per-sample t, then mean over all but the batch, then the batch.
        ac = alphas_cumprod(); shape = (-1, 1, 1, 1, 1)  # roots in float64, then float32, as the reference's buffers
        noisy = ac[ts].sqrt().float().view(shape) * t['ldm.z_tgt'] + (1 - ac[ts]).sqrt().float().view(shape) * t['train.noise']
        check('train.x_noisy', noisy)
        eps = unet(torch.cat([noisy, t['ldm.c_concat']], 1), ts, y)
        check('train.loss', (eps - t['train.noise']).pow(2).mean([1, 2, 3, 4]).mean())
    if failures: sys.exit(f'verify: the PyTorch layout does not reproduce the fixture: {", ".join(failures)}')
    print(f'verify: the PyTorch layout reproduces {path}', file=sys.stderr)

# ---------------------------------------------------------------- timing: one part at one size, one JSON line

def count(m): return sum(p.numel() for p in m.parameters())

def check_counts(name, **parts):
    for part, m in parts.items():
        assert count(m) == COUNTS[name][part], f'{name} {part}: {count(m)} parameters, expected {COUNTS[name][part]}'

def bench(part, name, image, repeats):
    threads = int(os.environ.get('MRSYNTH_THREADS', '2')); torch.set_num_threads(threads)
    torch.manual_seed(0); k = CONFIGS[name]; z = k['z_channels']; latent = [s // 4 for s in image]
    if part.startswith('unet'):
        net = UNet(k); check_counts(name, unet=net)
        cond = torch.randn(1, 2 * z, *latent); y = torch.tensor([1]); x0 = torch.randn(1, z, *latent)
        if part == 'unet-train':
            # AdamW as the reference's LDM configures it (torch defaults, weight decay 0.01; lr 1e-5 × batch 4).
            opt = torch.optim.AdamW(net.parameters(), lr=4e-5); ac = alphas_cumprod()
            def step():
                t = torch.randint(0, 1000, (1,)); noise = torch.randn_like(x0)
                noisy = ac[t].sqrt().float() * x0 + (1 - ac[t]).sqrt().float() * noise
                F.mse_loss(net(torch.cat([noisy, cond], 1), t, y), noise).backward()
                opt.step(); opt.zero_grad(set_to_none=True)  # as mrsynth drops gradients between steps
        else:
            net.eval(); table = iter(ddim_table() * (repeats + 1)); x = torch.randn(1, z, *latent)
            def step():
                t, a, ap, sigma = next(table)
                with torch.no_grad():  # LDM's p_sample_ddim at η = 1: ε̂ is the output, noise at every step
                    eps = net(torch.cat([x, cond], 1), torch.tensor([t]), y)
                    x0h = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
                    return math.sqrt(ap) * x0h + math.sqrt(1 - ap - sigma ** 2) * eps + sigma * torch.randn_like(x)
    else:
        vq = VQModel(k); disc = PatchGan(1, 1, k['disc_ndf'], k['disc_layers'])
        check_counts(name, encoder=vq.encoder, decoder=vq.decoder, quantize=vq.quantize, spade=vq.spade, disc=disc)
        if part == 'ae-train':
            # Stage 1: SPADE frozen (the reference's configure_optimizers), the discriminator too (Lightning toggles
            # the other optimiser's parameters off); Adam(0.5, 0.9) as AdamW with no decay.
            for p in list(vq.spade.parameters()) + list(disc.parameters()): p.requires_grad_(False)
            params = [p for n, p in vq.named_parameters() if not n.startswith('spade.')]
            opt = torch.optim.AdamW(params, lr=4e-5, betas=(0.5, 0.9), weight_decay=0); x = torch.rand(1, 1, *image) * 2 - 1
            def step():
                zq, qloss, _ = vq.encode(x); xrec = vq.decode(zq)
                loss = (x - xrec).abs().mean() - disc(xrec).mean() + qloss.mean()
                loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        else:
            vq.eval(); x = torch.rand(1, 1, *image) * 2 - 1 if part == 'encode' else torch.randn(1, z, *latent)
            def step():
                with torch.no_grad(): return vq.encode(x) if part == 'encode' else vq.decode(x)
    step()  # warm-up: first-touch allocations, AdamW's moments
    seconds, cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time(); w0 = time.perf_counter(); step()
        seconds.append(time.perf_counter() - w0); cpu.append((time.process_time() - c0) / threads)
    print(json.dumps({'seconds': seconds, 'cpuSeconds': cpu, 'maxRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      'threads': threads}))

if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'verify': verify(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] in ('unet-train', 'unet-denoise', 'ae-train', 'encode', 'decode') and sys.argv[2] in CONFIGS:
        image = [int(v) for v in sys.argv[3].split('x')]
        multiple = 16 if sys.argv[1].startswith('unet') else 4  # the autoencoder halves twice, the U-Net twice more
        assert len(image) == 3 and all(s % multiple == 0 for s in image), f'IMAGE must be XxYxZ, each a multiple of {multiple}, got {sys.argv[3]}'
        bench(sys.argv[1], sys.argv[2], image, int(sys.argv[4]))
    else: sys.exit('usage: pytorch-reference-aldm.py verify FIXTURE | PART CONFIG IMAGE REPEATS (see the header)')
