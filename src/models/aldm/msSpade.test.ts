import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, memory, noGrad, randn, setNumThreads, tensor, tidy } from '../../tensor/index.js';
import { SpadeGenerator, SpadeLayer } from './msSpade.js';
import { type VqganOracle, assertMatchesFixture, maxDifference, vqganOracle } from './vqganOracle.testSupport.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

describe('MS-SPADE against the reference (test-fixtures/aldm)', () => {
  let oracle: VqganOracle;
  before(async () => { oracle = await vqganOracle(); });
  after(() => oracle.model.dispose());

  test('outputs.z_q translated to inputs.target_class ([1, 3]) gives outputs.spade', (t) => tidy(() => {
    const { fixture, model } = oracle;
    const y = fixture.read('inputs.target_class');
    assert.deepEqual([...y.toTypedArray()], [1n, 3n]);
    const out = noGrad(() => model.translate(fixture.read('outputs.z_q'), y));
    t.diagnostic(`spade max diff ${assertMatchesFixture(out, fixture.read('outputs.spade'), 'spade')}`);
  }));

  test("each sample alone, with its class, gives its row: the contrast is switched per sample", (t) => tidy(() => {
    const { fixture, model } = oracle;
    const zq = fixture.read('outputs.z_q');
    const expected = fixture.read('outputs.spade');
    [1, 3].forEach((k, i) => {
      const row = noGrad(() => model.translate(zq.narrow(0, i, 1), [k]));
      t.diagnostic(`sample ${i} (class ${k}) max diff ${assertMatchesFixture(row, expected.narrow(0, i, 1), `sample ${i}`)}`);
    });
    // Another class gives another latent: the γ/β generators differ per class.
    const other = noGrad(() => model.translate(zq.narrow(0, 0, 1), [2]));
    assert.ok(maxDifference(other, expected.narrow(0, 0, 1)) > 0.01);
  }));

  // Alone, a sample differs from its row by ≈ 1.6e-6: libtorch's convolutions round differently at another batch
  // size. The reference switches classes per sample only inside the norms and runs the convolutions on the whole
  // batch, as this does, which is why the batch above matches bit for bit.
  test('a batch with repeated classes equals its samples run one by one, to float32 rounding', () => tidy(() => {
    const { fixture, model } = oracle;
    const zq = fixture.read('outputs.z_q');
    const batch = F.cat([zq, zq.narrow(0, 0, 1)], 0);
    const classes = [0, 2, 0];
    const together = noGrad(() => model.translate(batch, tensor(classes, { dtype: 'int64' })));
    classes.forEach((k, i) => {
      const alone = noGrad(() => model.translate(batch.narrow(0, i, 1), [k]));
      const difference = maxDifference(together.narrow(0, i, 1), alone);
      assert.ok(difference < 1e-5, `sample ${i}: ${difference}`);
    });
  }));
});

describe('SpadeGenerator', () => {
  test("the code's per-class SPADE layers have the spec's sizes (§2.3); keys are the reference's", () => tidy(() => {
    for (const [channels, count] of [[4, 20_808], [128, 663_872], [256, 1_327_680]]) {
      const layer = new SpadeLayer(channels, 64);
      assert.equal(layer.numParameters(), count, `C = ${channels}`);
      layer.dispose();
    }
    const spade = new SpadeGenerator({ numClasses: 4, zChannels: 4, nf: 8, hidden: 64 });
    const shapes = new Map(spade.namedParameters().map(([k, p]) => [k, p.shape]));
    assert.deepEqual(shapes.get('block.0.conv_s.weight'), [8, 4, 1, 1, 1]);
    assert.ok(!shapes.has('block.0.conv_s.bias'));
    assert.deepEqual(shapes.get('block.1.norm_0.spades.3.mlp_shared.0.weight'), [64, 8, 3, 3, 3]);
    assert.deepEqual(shapes.get('block.2.norm_1.spades.0.mlp_gamma.weight'), [8, 64, 3, 3, 3]);
    assert.deepEqual(shapes.get('block.3.conv_1.weight'), [4, 4, 3, 3, 3]);
    spade.dispose();
  }));

  test('refuses classes outside [0, K), non-integers and a class count that does not match the batch; leaks nothing', () => {
    const spade = new SpadeGenerator({ numClasses: 4, zChannels: 4, nf: 8, hidden: 8 });
    const x = randn([2, 4, 2, 2, 2]);
    const before = memory().numTensors;
    const out = noGrad(() => spade.forward(x, [3, 0]));
    assert.equal(memory().numTensors, before + 1);
    out.dispose();
    tidy(() => {
      assert.throws(() => spade.forward(x, [1, 4]),
        /SpadeGenerator.forward: class 4 is not one of the 4 contrasts this SPADE was built for \(0…3\); y = \[1, 4\]/);
      assert.throws(() => spade.forward(x, tensor([-1, 0], { dtype: 'int64' })), /class -1 is not one of the 4 contrasts/);
      assert.throws(() => spade.forward(x, [0.5, 1]), /class 0.5 is not one of the 4 contrasts/);
      assert.throws(() => spade.forward(x, [1]), /SpadeGenerator.forward: y must hold one class per sample \(2\), got 1 values/);
      assert.throws(() => spade.forward(x, tensor([[1, 2]], { dtype: 'int64' })), /y must hold one class per sample \(2\), got shape \[1,2\]/);
      assert.throws(() => spade.forward(randn([2, 3, 2, 2, 2]), [0, 0]), /SpadeGenerator.forward: x must be \(N, 4, X, Y, Z\), got shape \[2,3,2,2,2\]/);
    });
    x.dispose();
    spade.dispose();
  });
});
