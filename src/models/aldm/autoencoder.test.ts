import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, noGrad, randn, setNumThreads, tidy } from '../../tensor/index.js';
import { Decoder, Encoder } from './autoencoder.js';
import { parseAutoencoderConfig } from './autoencoderConfig.js';
import { type VqganOracle, assertMatchesFixture, vqganOracle } from './vqganOracle.testSupport.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

describe('ALDM autoencoder against the reference (test-fixtures/aldm)', () => {
  let oracle: VqganOracle;
  before(async () => { oracle = await vqganOracle(); });
  after(() => oracle.model.dispose());

  test("the fixture's whole VQModel state dict loads strictly: every key and shape is the reference's", () => {
    const { fixture, model } = oracle;
    const weights = fixture.stateDict('vqgan');
    const result = model.loadStateDict(weights, { strict: true });
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    const shapes = new Map(model.namedParameters().map(([k, p]) => [k, p.shape]));
    // The levels whose channel count changes carry the 1×1×1 shortcut; the decoder's list is indexed by level.
    assert.deepEqual(shapes.get('encoder.down.2.block.0.nin_shortcut.weight'), [32, 16, 1, 1, 1]);
    assert.deepEqual(shapes.get('decoder.up.1.block.0.nin_shortcut.weight'), [16, 32, 1, 1, 1]);
    assert.deepEqual(shapes.get('encoder.down.1.downsample.conv.weight'), [16, 16, 3, 3, 3]);
    assert.deepEqual(shapes.get('decoder.up.2.upsample.conv.weight'), [32, 32, 3, 3, 3]);
    assert.ok(!shapes.has('decoder.up.0.upsample.conv.weight') && !shapes.has('encoder.down.2.downsample.conv.weight'));
    for (const weight of Object.values(weights)) weight.dispose();
  });

  test('encoder and quant_conv of inputs.source match outputs.encoder and outputs.quant_conv', (t) => tidy(() => {
    const { fixture, model } = oracle;
    const h = noGrad(() => model.encoder.forward(fixture.read('inputs.source')));
    t.diagnostic(`encoder max diff ${assertMatchesFixture(h, fixture.read('outputs.encoder'), 'encoder')}`);
    const z = noGrad(() => model.quantConv.forward(fixture.read('outputs.encoder')));
    t.diagnostic(`quant_conv max diff ${assertMatchesFixture(z, fixture.read('outputs.quant_conv'), 'quant_conv')}`);
  }));

  test('decode (post_quant_conv, decoder) of outputs.z_q, outputs.spade and ddim.run.samples matches their decodes', (t) => tidy(() => {
    const { fixture, model } = oracle;
    for (const [input, expected] of [
      ['outputs.z_q', 'outputs.decoded'], ['outputs.spade', 'outputs.spade_decoded'], ['ddim.run.samples', 'ddim.run.decoded'],
    ]) {
      const image = noGrad(() => model.decode(fixture.read(input)));
      t.diagnostic(`decode(${input}) max diff ${assertMatchesFixture(image, fixture.read(expected), expected)}`);
    }
  }));
});

describe('Encoder and Decoder', () => {
  test('round trip of shapes at reference-tiny; forward leaves only its output alive', () => {
    const config = parseAutoencoderConfig('reference-tiny');
    const encoder = new Encoder(config);
    const decoder = new Decoder(config);
    const x = randn([1, 1, 8, 12, 4]);
    const before = memory().numTensors;
    const z = noGrad(() => encoder.forward(x));
    assert.deepEqual(z.shape, [1, 4, 2, 3, 1]);
    const y = noGrad(() => decoder.forward(z));
    assert.deepEqual(y.shape, [1, 1, 8, 12, 4]);
    assert.equal(memory().numTensors, before + 2);
    for (const d of [x, y, z, encoder, decoder]) d.dispose();
  });

  test('refuses inputs of the wrong rank or channels, and grids that do not halve evenly', () => {
    const config = parseAutoencoderConfig('reference-tiny');
    const encoder = new Encoder(config);
    const decoder = new Decoder(config);
    tidy(() => {
      assert.throws(() => encoder.forward(randn([1, 2, 8, 8, 8])), /Encoder.forward: x must be \(N, 1, X, Y, Z\), got shape \[1,2,8,8,8\]/);
      assert.throws(() => encoder.forward(randn([1, 1, 8, 10, 8])),
        /Encoder.forward: every spatial axis of x must divide by 4 \(2 halvings; other sizes do not decode back to the same grid\), got 8×10×8/);
      assert.throws(() => decoder.forward(randn([1, 1, 2, 2, 2])), /Decoder.forward: z must be \(N, 4, X, Y, Z\), got shape \[1,1,2,2,2\]/);
    });
    encoder.dispose();
    decoder.dispose();
  });
});
