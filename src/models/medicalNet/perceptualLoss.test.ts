import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleToRaw } from '../../nn/index.js';
import { manualSeed, randn, setNumThreads, tensor, tidy, type Tensor } from '../../tensor/index.js';
import { parseMedicalNetConfig } from './medicalNetConfig.js';
import { MedicalNetResNet10 } from './medicalNetResNet10.js';
import { MEDICALNET_RESNET10, PerceptualLoss } from './perceptualLoss.js';

setNumThreads(1);

/** A seeded random width-8 MedicalNet in float64 (the tests compare to 1e-9 and take finite differences). */
function seededLoss(seed: number): PerceptualLoss {
  manualSeed(seed);
  const network = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
  network.to('float64');
  return new PerceptualLoss(network);
}

const volume = (seed: number) => { manualSeed(seed); return randn([1, 1, 16, 16, 16], { dtype: 'float64' }); };

describe('PerceptualLoss (MONAI\'s MedicalNet perceptual distance) on a seeded random network', () => {
  test('is MONAI\'s formula: standardise each volume, unit feature vectors, squared difference summed over channels, mean over voxels', () => tidy(() => {
    const loss = seededLoss(1);
    const [x, y] = [volume(2), volume(3)];
    // The formula written out on plain arrays from the network's raw features.
    const standardised = (v: Tensor) => {
      const values = Array.from(v.toTypedArray<'float64'>());
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
      return tensor(Float64Array.from(values, (value) => (value - mean) / std), { shape: v.shape });
    };
    const rawFeatures = (v: Tensor) => {
      const f = loss.network.forward(standardised(v));
      return { data: f.toTypedArray<'float64'>(), channels: f.shape[1], voxels: f.shape.slice(2).reduce((a, b) => a * b, 1) };
    };
    const [fx, fy] = [rawFeatures(x), rawFeatures(y)];
    let total = 0;
    for (let v = 0; v < fx.voxels; v++) {
      const norm = (f: typeof fx) => Math.sqrt(Array.from({ length: f.channels }, (_, c) => f.data[c * f.voxels + v] ** 2).reduce((a, b) => a + b, 0)) + 1e-10;
      const [nx, ny] = [norm(fx), norm(fy)];
      for (let c = 0; c < fx.channels; c++) total += (fx.data[c * fx.voxels + v] / nx - fy.data[c * fy.voxels + v] / ny) ** 2;
    }
    const expected = total / fx.voxels;
    const actual = loss.forward(x, y).item();
    assert.ok(Math.abs(actual - expected) <= 1e-9 * expected, `${actual} vs ${expected}`);
    assert.ok(actual > 0);
    loss.dispose();
  }));

  test('is 0 for a volume and itself or any affine rescaling of it (standardisation), and symmetric', () => tidy(() => {
    const loss = seededLoss(4);
    const [x, y] = [volume(5), volume(6)];
    assert.equal(loss.forward(x, x).item(), 0);
    assert.ok(loss.forward(x, x.mul(2.5).add(3)).item() < 1e-20);
    assert.ok(Math.abs(loss.forward(x, y).item() - loss.forward(y, x).item()) < 1e-12);
    loss.dispose();
  }));

  test('its gradient in the input matches central finite differences; the network takes none', () => tidy(() => {
    const loss = seededLoss(7);
    const target = volume(8);
    const x = volume(9).requiresGrad_();
    loss.forward(x, target).backward();
    const gradient = x.grad!.toTypedArray<'float64'>();
    assert.ok(loss.network.parameters().every((p) => p.grad === null), 'the frozen network gets no gradient');
    const base = x.detach().toTypedArray<'float64'>();
    const h = 1e-5;
    for (const voxel of [0, 1234, 2048, 4095]) {
      const shifted = (delta: number) => {
        const values = Float64Array.from(base);
        values[voxel] += delta;
        return loss.forward(tensor(values, { shape: x.shape }), target).item();
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      assert.ok(Math.abs(numeric - gradient[voxel]) <= 1e-6 + 1e-4 * Math.abs(numeric), `voxel ${voxel}: ${gradient[voxel]} vs ${numeric}`);
    }
    loss.dispose();
  }));

  test('fromWeights rebuilds the network a weights file names, and refuses one of another network', () => {
    const original = seededLoss(10);
    original.network.to('float32');
    const tensors = moduleToRaw(original.network);
    const config = JSON.stringify(original.network.config);
    const rebuilt = PerceptualLoss.fromWeights({ tensors, metadata: { model: MEDICALNET_RESNET10, config } }, 'features.safetensors');
    tidy(() => {
      manualSeed(11);
      const [x, y] = [randn([1, 1, 16, 16, 16]), randn([1, 1, 16, 16, 16])];
      assert.equal(rebuilt.forward(x, y).item(), original.forward(x, y).item());
    });
    assert.throws(() => PerceptualLoss.fromWeights({ tensors, metadata: { model: 'cwdm', config } }, 'unet.safetensors'),
      /unet\.safetensors holds 'cwdm'; expected the weights of medicalnet-resnet10/);
    for (const loss of [original, rebuilt]) loss.dispose();
  });
});
