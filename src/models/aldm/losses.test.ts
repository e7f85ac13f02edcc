import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, full, noGrad, randn, setNumThreads, tensor, tidy } from '../../tensor/index.js';
import {
  adaptiveGeneratorWeight, hingeDiscriminatorLoss, hingeGeneratorLoss, patchClassLoss, reconstructionLoss, stage1DiscriminatorLoss, stage1Loss,
  stage2DiscriminatorLoss, stage2Loss,
} from './losses.js';
import { type NLayerDiscriminator, imageDiscriminator, latentDiscriminator } from './patchGan.js';
import { type VqganOracle, assertMatchesFixture, vqganOracle } from './vqganOracle.testSupport.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

describe('VQ-GAN losses against the reference (test-fixtures/aldm)', () => {
  let oracle: VqganOracle;
  let disc1: NLayerDiscriminator;
  let disc2: NLayerDiscriminator;
  before(async () => {
    oracle = await vqganOracle();
    disc1 = imageDiscriminator(oracle.config);
    disc2 = latentDiscriminator(oracle.config);
    tidy(() => {
      disc1.loadStateDict(oracle.fixture.stateDict('disc1'), { strict: true });
      disc2.loadStateDict(oracle.fixture.stateDict('disc2'), { strict: true });
    });
  });
  after(() => {
    for (const m of [oracle.model, disc1, disc2]) m.dispose();
  });

  test('stage 1 from inputs.source: rec, quant, g, total, disc, the adaptive weight, and ∂total for encoder to codebook', (t) => tidy(() => {
    const { fixture, model } = oracle;
    const x = fixture.read('inputs.source');
    const { zQ, loss: codebookLoss } = model.encode(x);
    const reconstruction = model.decode(zQ);
    const terms = stage1Loss({ input: x, reconstruction, codebookLoss, logitsFake: disc1.forward(reconstruction) });
    const report: string[] = [];
    const check = (ours: Tensor, name: string) => {
      report.push(`${name} ${assertMatchesFixture(ours, fixture.read(name), name)}`);
    };
    check(terms.rec, 'loss.s1.rec');
    check(terms.quant, 'loss.s1.quant');
    check(terms.generator, 'loss.s1.g');
    check(terms.total, 'loss.s1.total');
    const disc = stage1DiscriminatorLoss({ logitsReal: disc1.forward(x.detach()), logitsFake: disc1.forward(reconstruction.detach()) });
    check(disc, 'loss.s1.disc');

    const weight = adaptiveGeneratorWeight({
      rec: terms.rec, generator: terms.generator, lastLayer: model.decoder.lastLayerWeight, discWeight: fixture.config.disc_weight as number,
    });
    assert.equal(weight.requiresGrad, false);
    check(weight, 'loss.s1.adaptive_weight');

    // The adaptive weight's backward passes left gradients behind: clear them, as a training step must.
    model.zeroGrad();
    disc1.zeroGrad();
    terms.total.backward();
    const params = new Map(model.namedParameters());
    for (const key of ['decoder.conv_out.weight', 'encoder.conv_in.weight', 'quant_conv.weight', 'quantize.embedding.weight']) {
      check(params.get(key)!.grad!, `grad.s1.${key}`);
    }
    t.diagnostic(`max diffs: ${report.join('; ')}`);
    model.zeroGrad();
    disc1.zeroGrad();
  }));

  test('stage 2: latent L1 of outputs.spade to outputs.z_q_target; rec, g, total and disc (fake class 0) on the latent inputs', (t) => tidy(() => {
    const { fixture } = oracle;
    const report: string[] = [];
    const check = (ours: Tensor, name: string) => {
      report.push(`${name} ${assertMatchesFixture(ours, fixture.read(name), name)}`);
    };
    check(reconstructionLoss(fixture.read('outputs.z_q_target'), fixture.read('outputs.spade')), 'loss.s2.latent_l1');
    const real = fixture.read('inputs.latent_real');
    const fake = fixture.read('inputs.latent_fake');
    const classes = fixture.read('inputs.target_class');
    noGrad(() => {
      const logitsFake = disc2.forward(fake);
      const terms = stage2Loss({ target: real, translated: fake, codebookLoss: fixture.read('outputs.vq_loss'), logitsFake, classes });
      check(terms.rec, 'loss.s2.rec');
      check(terms.generator, 'loss.s2.g');
      check(terms.total, 'loss.s2.total');
      const logitsReal = disc2.forward(real);
      check(stage2DiscriminatorLoss({ logitsReal, logitsFake, classes, fakeClass: 'zero' }), 'loss.s2.disc');
      // The default teaches the fifth map, which the reference never targets: a different loss.
      const extra = stage2DiscriminatorLoss({ logitsReal, logitsFake, classes });
      const byHand = patchClassLoss(logitsReal, classes).add(patchClassLoss(logitsFake, [4, 4])).mul(0.5);
      assert.equal(extra.item(), byHand.item());
      assert.ok(Math.abs(extra.item() - fixture.scalar('loss.s2.disc')) > 1e-3);
    });
    t.diagnostic(`max diffs: ${report.join('; ')}`);
  }));
});

describe('VQ-GAN losses', () => {
  test('hinge losses and the L1 term on values worked by hand', () => tidy(() => {
    const real = tensor([2, 0.5, -1, 0]);
    const fake = tensor([-2, 0.5, 1, 0]);
    // relu(1 − real) = [0, 0.5, 2, 1] → 0.875; relu(1 + fake) = [0, 1.5, 2, 1] → 1.125; ½(0.875 + 1.125) = 1.
    assert.equal(hingeDiscriminatorLoss(real, fake).item(), 1);
    assert.equal(hingeGeneratorLoss(fake).item(), 0.125);
    assert.equal(reconstructionLoss(real, fake).item(), (4 + 0 + 2 + 0) / 4);
    assert.equal(reconstructionLoss(real, fake, 'mse').item(), (16 + 0 + 4 + 0) / 4);
    assert.equal(stage1DiscriminatorLoss({ logitsReal: real, logitsFake: fake, discFactor: 0 }).item(), 0);
    assert.throws(() => reconstructionLoss(real, tensor([1, 2])), /reconstructionLoss: input \[4\] and reconstruction \[2\] must have one shape/);
  }));

  test('patchClassLoss averages each map over space before the cross-entropy', () => tidy(() => {
    // Sample 0's maps average to scores (0, ln 3): p(class 1) = 3/4. Sample 1's to (0, 0): p = 1/2.
    const logits = tensor([0, 0, Math.log(3) - 1, Math.log(3) + 1, 0, 0, 2, -2], { shape: [2, 2, 2] });
    const expected = -(Math.log(0.75) + Math.log(0.5)) / 2;
    assert.ok(Math.abs(patchClassLoss(logits, [1, 0]).item() - expected) < 1e-6);
    assert.throws(() => patchClassLoss(logits, [2, 0]), /patchClassLoss: class 2 is not one of the discriminator's 2 classes \(0…1\)/);
  }));

  test('generator weights: discFactor 0 drops the GAN term, codebookWeight scales the quantiser\'s, generatorWeight multiplies', () => tidy(() => {
    const input = tensor([1, 2]);
    const reconstruction = tensor([1.5, 2]);
    const codebookLoss = full([], 0.5);
    const logitsFake = tensor([0.2, 0.4], { shape: [1, 1, 2] });
    const total = (options: object) => stage1Loss({ input, reconstruction, codebookLoss, logitsFake, ...options }).total.item();
    assert.ok(Math.abs(total({}) - (0.25 - 0.3 + 0.5)) < 1e-7);
    assert.ok(Math.abs(total({ discFactor: 0, codebookWeight: 0 }) - 0.25) < 1e-7);
    assert.ok(Math.abs(total({ generatorWeight: full([], 2), codebookWeight: 0 }) - (0.25 - 0.6)) < 1e-7);
    assert.throws(() => stage2DiscriminatorLoss({ logitsReal: logitsFake, logitsFake, classes: [0], fakeClass: 'one' as 'zero' }),
      /stage2DiscriminatorLoss: fakeClass must be one of extra, zero, got "one"/);
  }));

  test('adaptiveGeneratorWeight: ‖∇rec‖/(‖∇g‖ + 1e-4)·discWeight at the last layer; refuses a non-parameter', () => tidy(() => {
    const w = tensor([3, 4]).requiresGrad_();
    const rec = w.mul(2).sum(); // ∇ = (2, 2), norm 2√2
    const generator = w.pow(2).sum().mul(0.5); // ∇ = w = (3, 4), norm 5
    const weight = adaptiveGeneratorWeight({ rec, generator, lastLayer: w, discWeight: 0.8 });
    assert.ok(Math.abs(weight.item() - (2 * Math.SQRT2 / (5 + 1e-4)) * 0.8) < 1e-6);
    assert.equal(w.grad, null);
    assert.throws(() => adaptiveGeneratorWeight({ rec, generator, lastLayer: w.mul(1), discWeight: 1 }),
      /adaptiveGeneratorWeight: lastLayer must be a parameter/);
    const unrelated = randn([2]).requiresGrad_();
    assert.throws(() => adaptiveGeneratorWeight({ rec, generator, lastLayer: unrelated, discWeight: 1 }),
      /adaptiveGeneratorWeight: the loss does not depend on lastLayer/);
  }));
});
