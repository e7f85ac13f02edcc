import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, noGrad, randn, setNumThreads, tidy } from '../../tensor/index.js';
import { readAldmFixture } from './aldmFixture.testSupport.js';
import { autoencoderConfigFromReference, parseAutoencoderConfig } from './autoencoderConfig.js';
import { NLayerDiscriminator, imageDiscriminator, latentDiscriminator } from './patchGan.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

describe('NLayerDiscriminator', () => {
  test("both of the fixture's discriminators, built from its config, load strictly (disc1.*: 1 → 1, disc2.*: 4 → 5)", async () => {
    const fixture = await readAldmFixture();
    const config = autoencoderConfigFromReference(fixture.config);
    for (const [prefix, build, outChannels, count] of [
      ['disc1', imageDiscriminator, 1, 169_169], ['disc2', latentDiscriminator, 5, 188_629],
    ] as const) {
      const disc = build(config);
      assert.equal(disc.outChannels, outChannels);
      assert.equal(disc.numParameters(), count, prefix);
      const result = tidy(() => disc.loadStateDict(fixture.stateDict(prefix), { strict: true }));
      assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] }, prefix);
      disc.dispose();
    }
  });

  test("the code's discriminators have the issue's counts, the reference's keys, and logit maps of X/2^layers − 2", () => {
    const config = parseAutoencoderConfig('code');
    const image = imageDiscriminator(config);
    const latent = latentDiscriminator(config);
    assert.equal(image.numParameters(), 2_771_873);
    assert.equal(latent.numParameters(), 2_843_557);
    const shapes = new Map(image.namedParameters().map(([k, p]) => [k, p.shape]));
    assert.deepEqual([...shapes.keys()], [
      'main.0.weight', 'main.0.bias', 'main.2.weight', 'main.3.weight', 'main.3.bias', 'main.5.weight', 'main.6.weight', 'main.6.bias',
      'main.8.weight', 'main.9.weight', 'main.9.bias', 'main.11.weight', 'main.11.bias',
    ]);
    assert.deepEqual(shapes.get('main.8.weight'), [256, 128, 4, 4, 4]);
    assert.deepEqual(shapes.get('main.11.weight'), [1, 256, 4, 4, 4]);
    const x = randn([1, 1, 32, 48, 24]);
    const before = memory().numTensors;
    const logits = noGrad(() => image.forward(x));
    assert.deepEqual(logits.shape, [1, 1, 32 / 8 - 2, 48 / 8 - 2, 24 / 8 - 2]);
    assert.equal(memory().numTensors, before + 1);
    for (const d of [x, logits, image, latent]) d.dispose();
  });

  test("weights_init: conv weights N(0, 0.02), conv biases PyTorch's default U(±1/√fan_in), GroupNorm 1 and 0", () => tidy(() => {
    const disc = new NLayerDiscriminator({ inChannels: 1, outChannels: 1, ndf: 32, numLayers: 3 });
    const params = new Map(disc.namedParameters());
    const weight = params.get('main.5.weight')!;
    const std = weight.std().item();
    assert.ok(Math.abs(std - 0.02) < 0.0005 && Math.abs(weight.mean().item()) < 0.0005, `std ${std}`);
    const bias = params.get('main.0.bias')!;
    const bound = 1 / Math.sqrt(64);
    assert.ok(bias.abs().max().item() <= bound && bias.abs().max().item() > 0.5 * bound);
    assert.deepEqual([...new Set(params.get('main.3.weight')!.toTypedArray<'float32'>())], [1]);
    assert.deepEqual([...new Set(params.get('main.3.bias')!.toTypedArray<'float32'>())], [0]);
    assert.throws(() => disc.forward(randn([1, 2, 16, 16, 16])), /NLayerDiscriminator.forward: x must be \(N, 1, X, Y, Z\), got shape \[1,2,16,16,16\]/);
    disc.dispose();
  }));
});
