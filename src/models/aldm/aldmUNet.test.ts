import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, type Tensor, memory, noGrad, randn, setNumThreads, tensor, tidy } from '../../tensor/index.js';
import { AldmUNet, aldmUNetParameterCounts } from './aldmUNet.js';
import { ALDM_UNET_PRESETS, aldmUNetConfigFromReference, parseAldmUNetConfig } from './aldmUNetConfig.js';
import { type AldmFixture, readAldmFixture } from './aldmFixture.testSupport.js';

// The fixture was made single-threaded; with more threads libtorch sums in another order, and this random-weight
// network amplifies that rounding past the tolerance (test-fixtures/aldm/README.md).
setNumThreads(1);

const maxAbs = (x: Tensor) => tidy(() => x.abs().max().item());

/** The tolerance: within 1e-5, or 1e-4 of the reference's largest magnitude where that is more. */
function assertMatches(ours: Tensor, reference: Tensor, what: string): void {
  assert.deepEqual(ours.shape, reference.shape, `${what}: shape`);
  const [error, scale] = tidy(() => [ours.sub(reference).abs().max().item(), reference.abs().max().item()]);
  const tolerance = Math.max(1e-5, 1e-4 * scale);
  assert.ok(error <= tolerance, `${what}: max |ours − reference| = ${error}, tolerance ${tolerance}`);
}

describe('AldmUNet', () => {
  describe('code', () => {
    // Built once for both tests: ≈ 133 MB of float32 weights, never run forward at full size here.
    let model: AldmUNet;
    before(() => { model = new AldmUNet(parseAldmUNetConfig('code')); });
    after(() => model.dispose());

    test('33,197,316 parameters, per part as the issue lists them', () => {
      assert.deepEqual(aldmUNetParameterCounts(model), {
        inputBlocks: 5_978_752, middle: 7_607_296, outputBlocks: 19_266_432, timeEmbedding: 328_704, labelEmbedding: 2_048, head: 14_084,
        total: 33_197_316,
      });
      assert.equal(model.numParameters(), 33_197_316);
    });

    test("the reference's layout: attention at ×4 and ×2 and in the middle, Downsample 'op', Upsample 'conv', zero heads", () => {
      const shapes = new Map(model.namedParameters().map(([k, p]) => [k, p.shape]));
      const expected: [string, number[]][] = [
        ['time_embed.0.weight', [512, 128]],
        ['time_embed.2.weight', [512, 512]],
        ['label_emb.weight', [4, 512]],
        ['input_blocks.0.0.weight', [128, 12, 3, 3, 3]],
        ['input_blocks.2.0.op.weight', [128, 128, 3, 3, 3]],
        ['input_blocks.3.1.qkv.weight', [384, 128, 1]],
        ['input_blocks.3.1.proj_out.weight', [128, 128, 1]],
        ['input_blocks.5.0.skip_connection.weight', [256, 128, 1, 1, 1]],
        ['input_blocks.5.1.norm.weight', [256]],
        ['middle_block.1.qkv.weight', [768, 256, 1]],
        ['output_blocks.0.0.in_layers.2.weight', [256, 512, 3, 3, 3]],
        ['output_blocks.1.2.conv.weight', [256, 256, 3, 3, 3]],
        ['output_blocks.2.0.skip_connection.weight', [128, 384, 1, 1, 1]],
        ['output_blocks.3.1.qkv.weight', [384, 128, 1]],
        ['output_blocks.3.2.conv.weight', [128, 128, 3, 3, 3]],
        ['output_blocks.5.0.skip_connection.weight', [128, 256, 1, 1, 1]],
        ['out.0.weight', [128]],
        ['out.2.weight', [4, 128, 3, 3, 3]],
      ];
      for (const [key, shape] of expected) assert.deepEqual(shapes.get(key), shape, key);
      const blocksWith = (pattern: RegExp) => [...new Set([...shapes.keys()].filter((k) => pattern.test(k)).map((k) => k.split('.').slice(0, 3).join('.')))];
      assert.deepEqual(blocksWith(/\.qkv\.weight$/),
        ['input_blocks.3.1', 'input_blocks.5.1', 'middle_block.1.qkv', 'output_blocks.0.1', 'output_blocks.1.1', 'output_blocks.2.1', 'output_blocks.3.1']);
      assert.deepEqual(blocksWith(/^output_blocks\.\d+\.\d+\.conv\.weight$/), ['output_blocks.1.2', 'output_blocks.3.2']);
      assert.equal(new Set([...shapes.keys()].filter((k) => k.startsWith('input_blocks.')).map((k) => k.split('.')[1])).size, 6);
      assert.equal(new Set([...shapes.keys()].filter((k) => k.startsWith('output_blocks.')).map((k) => k.split('.')[1])).size, 6);
      // Zero-initialised convolutions: the head, the second conv of all 11 ResBlocks and the output projection
      // of all 7 attention blocks; every other one has its default (non-zero) initialisation.
      const zeroConvs = model.namedParameters().filter(([, p]) => p.ndim >= 3 && maxAbs(p) === 0).map(([k]) => k);
      assert.ok(zeroConvs.every((k) => /^out\.2\.|\.out_layers\.3\.|\.proj_out\./.test(k)), zeroConvs.join(', '));
      assert.equal(zeroConvs.length, 1 + 11 + 7);
    });
  });

  test('paper-unet (128×[1,2,4], 2 ResBlocks, attention at ×2 and ×4): 166,528,516 parameters', () => {
    const model = new AldmUNet(parseAldmUNetConfig('paper-unet'));
    assert.equal(aldmUNetParameterCounts(model).total, 166_528_516);
    model.dispose();
  });

  test('untrained: the output is exactly zero (zero-initialised head), and forward leaks no tensors', () => {
    const model = new AldmUNet(parseAldmUNetConfig('reference-tiny'));
    tidy(() => {
      const x = randn([2, 12, 4, 8, 4]);
      const t = tensor([0, 999], { dtype: 'int64' });
      const y = tensor([0, 3], { dtype: 'int64' });
      const before = memory().numTensors;
      const out = noGrad(() => model.forward(x, t, y));
      assert.deepEqual(out.shape, [2, 4, 4, 8, 4]);
      assert.equal(maxAbs(out), 0);
      out.dispose();
      assert.equal(memory().numTensors, before);
    });
    model.dispose();
  });

  describe('oracle (the reference-made fixture, its weights loaded strictly)', () => {
    let fixture: AldmFixture;
    let model: AldmUNet;
    before(async () => {
      fixture = await readAldmFixture();
      // Built from the fixture's metadata, not from a preset; the preset must say the same.
      const config = aldmUNetConfigFromReference(fixture.config);
      assert.deepEqual(config, ALDM_UNET_PRESETS['reference-tiny']);
      model = new AldmUNet(config);
      tidy(() => {
        const { missingKeys, unexpectedKeys } = model.loadStateDict(fixture.stateDict('unet'), { strict: true });
        assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
      });
      model.eval();
    });
    after(() => model.dispose());

    test('embedding: time_embed(sinusoids of t) + label_emb[y]', () => tidy(() => {
      const emb = noGrad(() => model.embed(fixture.read('inputs.t'), fixture.read('inputs.target_class')));
      assertMatches(emb, fixture.read('outputs.unet_emb'), 'unet_emb');
    }));

    test('output ε̂ for cat[x_t, c_concat] at the fixture t and y', () => tidy(() => {
      const x = F.cat([fixture.read('inputs.x_t'), fixture.read('ldm.c_concat')], 1);
      const out = noGrad(() => model.forward(x, fixture.read('inputs.t'), fixture.read('inputs.target_class')));
      const reference = fixture.read('outputs.unet');
      assertMatches(out, reference, 'unet');
      // Not trivially small: the fixture's zero-initialised layers were drawn non-zero.
      assert.ok(maxAbs(reference) > 0.1);
    }));

    test('ε-loss mean_b mean_cxyz (ε̂ − ε)² and its gradients on five parameters', () => {
      const names = ['input_blocks.0.0.weight', 'input_blocks.3.1.qkv.weight', 'label_emb.weight', 'out.2.weight', 'time_embed.0.weight'];
      const parameters = new Map(model.namedParameters());
      tidy(() => {
        model.zeroGrad();
        const x = F.cat([fixture.read('train.x_noisy'), fixture.read('ldm.c_concat')], 1);
        const predicted = model.forward(x, fixture.read('inputs.t'), fixture.read('inputs.target_class'));
        // Per sample over (c, x, y, z), then over the batch, in the reference's order (F.mseLoss sums otherwise).
        const loss = predicted.sub(fixture.read('train.noise')).pow(2).mean([1, 2, 3, 4]).mean();
        loss.backward();
        assertMatches(loss, fixture.read('train.loss'), 'train.loss');
        // The label_emb and time_embed gradients are rounding noise (≈ 1e-6) around an exact 0: at 32 channels in
        // 32 groups every GroupNorm after a ResBlock's embedding sum removes that per-channel constant again. The
        // absolute bound checks just that; the other three carry the real signal.
        for (const name of names) assertMatches(parameters.get(name)!.grad!, fixture.read(`grad.unet.${name}`), `grad.unet.${name}`);
      });
      model.zeroGrad();
    });
  });

  test("concat 'paper': 8 input channels [x_t, z_st]; 12 are then refused", () => {
    const model = new AldmUNet(parseAldmUNetConfig({ preset: 'reference-tiny', concat: 'paper', inChannels: 8 }));
    assert.deepEqual(model.namedParameters().find(([k]) => k === 'input_blocks.0.0.weight')![1].shape, [32, 8, 3, 3, 3]);
    tidy(() => {
      const t = tensor([5], { dtype: 'int64' }), y = tensor([2], { dtype: 'int64' });
      assert.deepEqual(noGrad(() => model.forward(randn([1, 8, 4, 4, 8]), t, y)).shape, [1, 4, 4, 4, 8]);
      assert.throws(() => model.forward(randn([1, 12, 4, 4, 8]), t, y),
        /AldmUNet\.forward: x must have 8 channels \(concat 'paper': x_t, z_st, 4 each\), got 12 \(shape \[1,12,4,4,8\]\)/);
    });
    model.dispose();
  });

  test('refuses a wrong channel count, a spatial size that does not halve, classes out of range', () => {
    const model = new AldmUNet(parseAldmUNetConfig('reference-tiny'));
    tidy(() => {
      const t = tensor([10, 20], { dtype: 'int64' }), y = tensor([1, 3], { dtype: 'int64' });
      assert.throws(() => model.forward(randn([2, 8, 4, 4, 4]), t, y),
        /AldmUNet\.forward: x must have 12 channels \(concat 'code': x_t, z_src, z_st, 4 each\), got 8 \(shape \[2,8,4,4,4\]\)/);
      assert.throws(() => model.forward(randn([2, 12, 4, 6, 4]), t, y),
        /AldmUNet\.forward: every spatial axis of x must divide by 4 \(2 halvings\), got 4×6×4 \(shape \[2,12,4,6,4\]\)/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4, 4]), t, tensor([1, 4], { dtype: 'int64' })),
        /AldmUNet\.forward: y must be classes 0…3, got 4 \(y = \[1,4\]\)/);
      assert.throws(() => model.embed(t, tensor([-1, 0], { dtype: 'int64' })), /AldmUNet\.embed: y must be classes 0…3, got -1/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4, 4]), t, tensor([1, 2])),
        /AldmUNet\.forward: y must hold one integer class per sample, shape \[2\], got float32 shape \[2\]/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4, 4]), t, tensor([1], { dtype: 'int64' })), /y must hold one integer class per sample, shape \[2\], got int64 shape \[1\]/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4, 4]), tensor([1], { dtype: 'int64' }), y),
        /AldmUNet\.forward: t must hold one timestep per sample, shape \[2\], got shape \[1\]/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4]), t, y), /AldmUNet\.forward: x must be rank 5 \(N, C, D, H, W\), got shape \[2,12,4,4\]/);
      assert.throws(() => model.forward(randn([2, 12, 4, 4, 4], { dtype: 'float64' }), t, y), /x must be float32 like the weights, got float64/);
    });
    model.dispose();
  });

  test("conditioning 'crossattn' (the paper's Eq. 3): spatial transformers on one-hot y replace the attention blocks and the label embedding", () => {
    const config = parseAldmUNetConfig({ preset: 'reference-tiny', conditioning: 'crossattn' });
    const model = new AldmUNet(config);
    try {
      const keys = Object.keys(model.stateDict());
      assert.ok(!keys.some((k) => k.startsWith('label_emb.')), 'no class embedding');
      assert.ok(keys.includes('input_blocks.3.1.transformer_blocks.0.attn2.to_k.weight'), 'a transformer where the code has attention');
      assert.ok(keys.includes('middle_block.1.proj_in.weight'));
      // Zero-initialised heads and projections: an untrained network outputs 0 whatever the class.
      tidy(() => {
        const x = randn([2, 12, 4, 8, 4], { generator: new Generator(1) });
        const t = tensor([437, 12], { dtype: 'int64' });
        assert.equal(model.forward(x, t, tensor([1, 3], { dtype: 'int64' })).abs().max().item(), 0);
        // With its output head and transformer projections given weights, the class changes the output.
        const generator = new Generator(2);
        model.loadStateDict(Object.fromEntries(Object.entries(model.stateDict()).filter(([key]) => /(^out\.2|proj_out)\.weight$/.test(key))
          .map(([key, value]) => [key, randn(value.shape, { generator }).mul(0.1)])), { strict: false });
        const a = model.forward(x, t, tensor([1, 3], { dtype: 'int64' }));
        const b = model.forward(x, t, tensor([1, 2], { dtype: 'int64' }));
        assert.ok(a.narrow(0, 0, 1).sub(b.narrow(0, 0, 1)).abs().max().item() < 1e-6, 'sample 0 has the same class in both');
        assert.ok(a.narrow(0, 1, 1).sub(b.narrow(0, 1, 1)).abs().max().item() > 1e-4, 'sample 1 changed class');
      });
    } finally {
      model.dispose();
    }
  });
});
