import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, arange, manualSeed, memory, noGrad, randn, setNumThreads, tensor, tidy } from '../../tensor/index.js';
import { VectorQuantizer } from './vectorQuantizer.js';
import { type VqganOracle, assertMatchesFixture, maxDifference, vqganOracle } from './vqganOracle.testSupport.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

/** (M,) indices → (M, n) bool, true at each row's index. */
function oneHot(indices: Tensor, n: number): Tensor {
  return arange(0, n, 1, { dtype: 'int64' }).unsqueeze(0).eq(indices.unsqueeze(1));
}

/** Nearest and second-nearest squared distances of each row of z (M, C) to the codes, in float64 by direct differences. */
function twoNearest(z: Tensor, codes: Tensor): { nearest: Tensor; margin: Tensor } {
  const d = z.double().unsqueeze(1).sub(codes.double().unsqueeze(0)).pow(2).sum(2);
  const first = d.minDim(1);
  const second = d.maskedFill(oneHot(first.indices, codes.shape[0]), Number.POSITIVE_INFINITY).minDim(1);
  return { nearest: first.indices, margin: second.values.sub(first.values) };
}

describe('VectorQuantizer against the reference (test-fixtures/aldm)', () => {
  let oracle: VqganOracle;
  before(async () => { oracle = await vqganOracle(); });
  after(() => oracle.model.dispose());

  test('outputs.quant_conv: indices exactly outputs.indices, z_q and the legacy loss to tolerance', (t) => tidy(() => {
    const { fixture, model } = oracle;
    const { zQ, loss, indices } = noGrad(() => model.quantize.forward(fixture.read('outputs.quant_conv')));
    const expected = fixture.read('outputs.indices');
    assert.equal(indices.dtype, 'int64');
    assert.deepEqual(indices.shape, expected.shape);
    assert.deepEqual([...indices.toTypedArray()], [...expected.toTypedArray()]);
    t.diagnostic(`z_q max diff ${assertMatchesFixture(zQ, fixture.read('outputs.z_q'), 'z_q')}`);
    t.diagnostic(`vq_loss diff ${assertMatchesFixture(loss, fixture.read('outputs.vq_loss'), 'vq_loss')}`);
  }));

  test("the indices are robust: float64 nearest codes agree and each wins by the fixture's stored margin", (t) => tidy(() => {
    const { fixture, model } = oracle;
    const z = fixture.read('outputs.quant_conv').permute([0, 2, 3, 4, 1]).reshape([-1, 4]);
    const { nearest, margin } = twoNearest(z, model.quantize.codebook);
    assert.deepEqual([...nearest.toTypedArray()], [...fixture.read('outputs.indices').toTypedArray()]);
    const stored = fixture.read('outputs.vq_margin');
    const difference = maxDifference(margin, stored);
    assert.ok(difference < 1e-12, `margin differs by ${difference}`);
    const smallest = stored.min().item();
    // float32 rounding of a distance near 1 is ≈ 1e-7: far below the closest call.
    assert.ok(smallest > 1e-4, `smallest margin ${smallest}`);
    t.diagnostic(`margins: float64 max diff ${difference}, smallest ${smallest}`);
  }));

  test('encoding inputs.target gives outputs.z_q_target', (t) => tidy(() => {
    const { fixture, model } = oracle;
    const { zQ } = noGrad(() => model.encode(fixture.read('inputs.target')));
    t.diagnostic(`z_q_target max diff ${assertMatchesFixture(zQ, fixture.read('outputs.z_q_target'), 'z_q_target')}`);
  }));

  test('the search in chunks of 7 rows, or of 1, chooses what the whole search chooses', () => tidy(() => {
    const { fixture, model } = oracle;
    const z = fixture.read('outputs.quant_conv').permute([0, 2, 3, 4, 1]).reshape([-1, 4]);
    const whole = [...model.quantize.nearestCodes(z, z.shape[0]).toTypedArray()];
    for (const rows of [7, 1]) assert.deepEqual([...model.quantize.nearestCodes(z, rows).toTypedArray()], whole, `rows ${rows}`);
    assert.deepEqual(whole, [...fixture.read('outputs.indices').toTypedArray()]);
  }));
});

describe('VectorQuantizer', () => {
  test('straight-through: z_q passes gradients to z unchanged; the legacy loss weights the codebook term by β', () => tidy(() => {
    for (const legacyLoss of [true, false]) {
      const quantizer = new VectorQuantizer(16, 3, { beta: 0.25, legacyLoss });
      const z = randn([2, 3, 2, 3, 2]).requiresGrad_();
      const { zQ, loss } = quantizer.forward(z);
      zQ.mul(tensor([1, 2, 3], { shape: [1, 3, 1, 1, 1] })).sum().backward();
      // 24 voxels per channel, each with gradient 1, 2 or 3.
      assert.deepEqual([...z.grad!.sum([0, 2, 3, 4]).toTypedArray()], [24, 48, 72]);
      z.grad = null;

      // d/dz of the commitment term mean(‖sg[z_q] − z‖²) is −2(z_q − z)/numel; the codebook term gives z nothing.
      loss.backward();
      const commitment = legacyLoss ? 1 : 0.25;
      const expected = zQ.detach().sub(z.detach()).mul(-2 * commitment / z.numel);
      assert.ok(maxDifference(z.grad!, expected) < 1e-7, `legacy ${legacyLoss}: z.grad`);
      const value = zQ.detach().sub(z.detach()).pow(2).mean().item() * 1.25;
      assert.ok(Math.abs(loss.item() - value) < 1e-6, `legacy ${legacyLoss}: loss ${loss.item()} vs ${value}`);
      // Each code's gradient is β'·2·Σ(e − z)/numel over the voxels that chose it (β' = β legacy, 1 otherwise).
      const codebookGrad = quantizer.codebook.grad!;
      const { indices } = noGrad(() => quantizer.forward(z.detach()));
      const zl = z.detach().permute([0, 2, 3, 4, 1]).reshape([-1, 3]);
      const perCode = F.embedding(quantizer.codebook.detach(), indices).sub(zl);
      const expectedGrad = oneHot(indices, 16).float().transpose(0, 1).mm(perCode).mul(2 * (legacyLoss ? 0.25 : 1) / z.numel);
      assert.ok(maxDifference(codebookGrad, expectedGrad) < 1e-7, `legacy ${legacyLoss}: codebook grad`);
      quantizer.dispose();
    }
  }));

  test('a bfloat16 quantizer chooses what a float32 one chooses for the same values: at the initial scale and a trained one', (t) => tidy(() => {
    manualSeed(19n);
    const quantizer = new VectorQuantizer(8192, 4, { beta: 0.25, legacyLoss: true }).to('bfloat16');
    const z = randn([512, 4]).to('bfloat16');
    // The initial codebook, U(±1/8192): its codes are closer to each other than float32 resolves at ‖z‖² ≈ 4, so the
    // truth is the reference's float32 expansion of the same values.
    const [zf, codes] = [z.float(), quantizer.codebook.float()];
    const float32 = zf.pow(2).sum(1, true).add(codes.pow(2).sum(1)).sub(zf.mm(codes.transpose(0, 1)).mul(2)).argmin(1);
    const initial = quantizer.nearestCodes(z);
    t.diagnostic(`initial scale: ${new Set([...initial.toTypedArray()]).size} distinct codes chosen, float32 ${new Set([...float32.toTypedArray()]).size}`);
    assert.deepEqual([...initial.toTypedArray()], [...float32.toTypedArray()]);

    // At the scale of the encoder outputs the codes are re-seeded from, the float64 nearest code by direct differences.
    noGrad(() => quantizer.codebook.copy_(randn([8192, 4]).mul(0.5)));
    const { nearest, margin } = twoNearest(z, quantizer.codebook);
    // float32 rounds a distance near 4 to about 5e-7: each row's nearest code must win by more for the check to hold.
    assert.ok(margin.min().item() > 1e-5, `smallest margin ${margin.min().item()}`);
    assert.deepEqual([...quantizer.nearestCodes(z).toTypedArray()], [...nearest.toTypedArray()]);
    quantizer.dispose();
  }));

  test('without gradients, leaves only its three results alive; refuses a latent of the wrong layout', () => {
    const quantizer = new VectorQuantizer(8, 4, { beta: 0.25, legacyLoss: true });
    const z = randn([1, 4, 3, 3, 3]);
    const before = memory().numTensors;
    const out = noGrad(() => quantizer.forward(z, { searchRows: 5 }));
    assert.equal(memory().numTensors, before + 3);
    assert.deepEqual(out.indices.shape, [27]);
    assert.throws(() => quantizer.forward(randn([1, 3, 3, 3, 3])), /VectorQuantizer.forward: z must be \(N, 4, X, Y, Z\), got shape \[1,3,3,3,3\]/);
    assert.throws(() => quantizer.nearestCodes(randn([5, 4]), 0), /VectorQuantizer.nearestCodes: rows must be a positive integer, got 0/);
    for (const d of [z, out.zQ, out.loss, out.indices, quantizer]) d.dispose();
  });
});
