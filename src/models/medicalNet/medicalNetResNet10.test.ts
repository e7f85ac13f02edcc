import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRawIntoModule } from '../../nn/index.js';
import type { RawTensor } from '../../io/safetensors/index.js';
import { setNumThreads, tidy, zeros } from '../../tensor/index.js';
import { parseMedicalNetConfig } from './medicalNetConfig.js';
import { MEDICALNET_SEGMENTATION_HEAD, MedicalNetResNet10, medicalNetCheckpointExtras } from './medicalNetResNet10.js';
import { standardiseIntensities } from './intensityStandardisation.js';
import { differences, readMedicalNetFeatures, readMedicalNetStateDict } from './medicalNetFixture.testSupport.js';

// The fixture was computed single-threaded; one thread here keeps the summation order alike.
setNumThreads(1);

describe('MedicalNetResNet10 against PyTorch (test-fixtures/medicalNet: a width-8 ResNet-10 of MedicalNet\'s layout)', () => {
  let checkpoint: Record<string, RawTensor>;
  before(async () => { checkpoint = await readMedicalNetStateDict(); });
  /** The checkpoint without the segmentation head: MedicalNet's feature network, counters included. */
  const featureKeys = () => Object.keys(checkpoint).filter((key) => !key.startsWith(MEDICALNET_SEGMENTATION_HEAD));

  test('with batch counters its state dict has exactly the checkpoint\'s keys (after module., without conv_seg), in order, and loads strictly', () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig({ preset: 'tiny', batchCounters: true }));
    const ours = tidy(() => Object.entries(model.stateDict()).map(([key, t]) => `${key} [${t.shape}]`));
    assert.deepEqual(ours, featureKeys().map((key) => `${key} [${checkpoint[key].shape}]`));
    assert.equal(ours.length, 72, '86 tensors in the checkpoint, 14 of them the head\'s');
    loadRawIntoModule(model, Object.fromEntries(featureKeys().map((key) => [key, checkpoint[key]])));
    assert.equal(tidy(() => model.stateDict()['layer4.0.downsample.1.num_batches_tracked'].item()), 4);
    model.dispose();
  });

  test('by default the counters are left out; what a checkpoint holds beside the network is exactly them and the head', () => {
    const withCounters = new MedicalNetResNet10(parseMedicalNetConfig({ preset: 'tiny', batchCounters: true }));
    const model = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
    const keys = tidy(() => Object.keys(model.stateDict()));
    const counters = featureKeys().filter((key) => !keys.includes(key));
    assert.deepEqual(counters, featureKeys().filter((key) => key.endsWith('.num_batches_tracked')));
    assert.equal(counters.length, 12, 'one per BatchNorm');
    assert.deepEqual(medicalNetCheckpointExtras(model.config), [MEDICALNET_SEGMENTATION_HEAD, ...counters]);
    assert.deepEqual(medicalNetCheckpointExtras(withCounters.config), [MEDICALNET_SEGMENTATION_HEAD]);
    assert.ok(Object.keys(checkpoint).filter((key) => !keys.includes(key))
      .every((key) => medicalNetCheckpointExtras(model.config).some((extra) => key.startsWith(extra))));
    model.dispose();
    withCounters.dispose();
  });

  test('eval-mode forward equals PyTorch\'s layer4 features to 1e-5 absolute / 1e-4 relative', async () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
    loadRawIntoModule(model, Object.fromEntries(Object.keys(tidy(() => model.stateDict())).map((key) => [key, checkpoint[key]])));
    model.eval();
    const fixture = await readMedicalNetFeatures();
    tidy(() => {
      const features = model.forward(fixture.standardised);
      assert.deepEqual(features.shape, [2, model.featureChannels, 3, 4, 3]);
      const { abs, rel, within } = differences(features, fixture.features);
      assert.ok(within, `features: largest difference ${abs} absolute, ${rel} relative`);
      // From the raw volumes through our standardisation: the input convention and the network together.
      const fromInput = differences(model.forward(standardiseIntensities(fixture.input)), fixture.features);
      assert.ok(fromInput.within, `features from the raw input: largest difference ${fromInput.abs} absolute, ${fromInput.rel} relative`);
      console.log(`# MedicalNet features vs PyTorch: max |Δ| ${abs.toExponential(2)} (relative ${rel.toExponential(2)}); `
        + `from the raw input ${fromInput.abs.toExponential(2)} (${fromInput.rel.toExponential(2)})`);
    });
    for (const t of Object.values(fixture)) t.dispose();
    model.dispose();
  });

  test('gradients reach the input through the frozen network (what a perceptual loss needs)', async () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig('tiny')).eval();
    for (const p of model.parameters()) p.requiresGrad_(false);
    const { input, standardised, features } = await readMedicalNetFeatures();
    tidy(() => {
      const x = input.detach().requiresGrad_();
      model.forward(standardiseIntensities(x)).square().mean().backward();
      assert.deepEqual(x.grad!.shape, input.shape);
      assert.ok(x.grad!.abs().sum().item() > 0);
    });
    for (const t of [input, standardised, features]) t.dispose();
    model.dispose();
  });
});

describe('MedicalNetResNet10 layout', () => {
  test("pretrained: 14,355,520 parameters (MedicalNet's README: 14.36 M for 3D-ResNet10) and 512 features at ⌈n/8⌉ per axis", () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig('pretrained'));
    assert.equal(model.numParameters(), 14_355_520);
    assert.equal(model.featureChannels, 512);
    tidy(() => assert.deepEqual(model.eval().forward(zeros([1, 1, 9, 16, 17])).shape, [1, 512, 2, 2, 3]));
    model.dispose();
  });

  test('a block that changes the width or strides has the 1×1×1 projection shortcut (type B); layer1 has none', () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
    const shortcuts = model.namedParameters().map(([key, p]) => `${key} [${p.shape}]`).filter((key) => key.includes('downsample.0'));
    assert.deepEqual(shortcuts, ['layer2.0.downsample.0.weight [16,8,1,1,1]', 'layer3.0.downsample.0.weight [32,16,1,1,1]',
      'layer4.0.downsample.0.weight [64,32,1,1,1]']);
    assert.equal(model.numParameters(), 227_336);
    model.dispose();
  });

  test('refuses an input that is not one-channel 3-D, naming the shape', () => {
    const model = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
    tidy(() => {
      assert.throws(() => model.forward(zeros([1, 2, 8, 8, 8])),
        /MedicalNetResNet10.forward: x must be \(N, 1, D, H, W\), one channel \(pass each contrast on its own\), got shape \[1,2,8,8,8\]/);
      assert.throws(() => model.forward(zeros([1, 8, 8, 8])), /got shape \[1,8,8,8\]/);
    });
    model.dispose();
  });
});
