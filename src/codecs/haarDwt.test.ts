import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { F, Tensor, dispose, memory, randn, Generator, tensor, tidy, zeros } from '../tensor/index.js';
import { loadSafetensors } from '../io/safetensors/index.js';
import { packageRoot } from '../util/index.js';
import { haarBandNames, haarDwt, haarIdwt } from './haarDwt.js';

const FIXTURE = join(packageRoot(import.meta.url), 'test-fixtures', 'cwdm', 'cwdm-reference-tiny.safetensors');

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

describe('haarDwt / haarIdwt (3-D Haar, spec §2)', () => {
  test('band names follow the reference order LLL, LLH, LHL, LHH, HLL, HLH, HHL, HHH', () => {
    assert.deepEqual(haarBandNames(3), ['LLL', 'LLH', 'LHL', 'LHH', 'HLL', 'HLH', 'HHL', 'HHH']);
    assert.deepEqual(haarBandNames(2), ['LL', 'LH', 'HL', 'HH']);
  });

  test('a constant volume c puts c·2√2 (block sum / 2√2) in LLL and nothing elsewhere', () => tidy(() => {
    const c = 0.7;
    const bands = haarDwt(zeros([1, 1, 4, 6, 2], { dtype: 'float64' }).add(c));
    assert.deepEqual(bands.shape, [1, 8, 2, 3, 1]);
    const values = bands.toTypedArray() as Float64Array;
    const perBand = values.length / 8;
    for (let i = 0; i < values.length; i++) {
      const expected = i < perBand ? c * 2 * Math.SQRT2 : 0;
      assert.ok(Math.abs(values[i] - expected) < 1e-15, `coefficient ${i}: ${values[i]} vs ${expected}`);
    }
  }));

  test('an impulse at block offset (p, q, r) gives ±1/√8 with sign (−1)^(i·p + j·q + k·r) in band (i, j, k)', () => tidy(() => {
    for (let offset = 0; offset < 8; offset++) {
      const [p, q, r] = [(offset >> 2) & 1, (offset >> 1) & 1, offset & 1];
      const x = new Float64Array(8);
      x[offset] = 1;
      const bands = haarDwt(tensor(x, { shape: [1, 1, 2, 2, 2] })).toTypedArray() as Float64Array;
      for (let band = 0; band < 8; band++) {
        const [i, j, k] = [(band >> 2) & 1, (band >> 1) & 1, band & 1];
        const expected = (-1) ** (i * p + j * q + k * r) / Math.sqrt(8);
        assert.ok(Math.abs(bands[band] - expected) < 1e-15, `impulse ${offset}, band ${haarBandNames(3)[band]}: ${bands[band]} vs ${expected}`);
      }
    }
  }));

  test('IDWT(DWT(x)) = x: 1e-6 in float32, 1e-12 in float64, batches and several channels, non-cubic', () => tidy(() => {
    const generator = new Generator(7);
    for (const [dtype, tolerance] of [['float32', 1e-6], ['float64', 1e-12]] as const) {
      const x = randn([2, 3, 4, 6, 8], { dtype, generator });
      const bands = haarDwt(x);
      assert.deepEqual(bands.shape, [2, 24, 2, 3, 4]);
      assert.ok(maxAbsDiff(haarIdwt(bands), x) < tolerance, dtype);
    }
    generator.dispose();
  }));

  test('the raw transform is orthonormal: ‖DWT(x)‖ = ‖x‖, and the gradient of ⟨DWT(x), w⟩ is IDWT(w)', () => tidy(() => {
    const generator = new Generator(11);
    const x = randn([1, 2, 4, 4, 6], { dtype: 'float64', generator }).requiresGrad_(true);
    const w = randn([1, 16, 2, 2, 3], { dtype: 'float64', generator });
    const bands = haarDwt(x);
    const energyIn = x.square().sum().item();
    const energyOut = bands.square().sum().item();
    assert.ok(Math.abs(energyIn - energyOut) < 1e-12 * energyIn, `${energyIn} vs ${energyOut}`);
    bands.mul(w).sum().backward();
    // The adjoint of an orthonormal map is its inverse.
    assert.ok(maxAbsDiff(x.grad!, haarIdwt(w)) < 1e-14);
    generator.dispose();
  }));

  test('channel-major layout: DWT of channels stacked = DWT of each channel, concatenated (the reference condition layout)', () => tidy(() => {
    const generator = new Generator(3);
    const a = randn([1, 1, 4, 4, 4], { generator });
    const b = randn([1, 1, 4, 4, 4], { generator });
    assert.equal(maxAbsDiff(haarDwt(F.cat([a, b], 1)), F.cat([haarDwt(a), haarDwt(b)], 1)), 0);
    generator.dispose();
  }));

  test('2-D: (N, C, H, W) → (N, 4C, H/2, W/2) with LH = (sum over even W − sum over odd W)/2, HL likewise over H, and perfect reconstruction', () => tidy(() => {
    const x = tensor(new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]), { shape: [1, 1, 2, 4] });
    const bands = haarDwt(x);
    assert.deepEqual(bands.shape, [1, 4, 1, 2]);
    // Blocks [[1,2],[5,6]] and [[3,4],[7,8]].
    const expected = [7, 11, -1, -1, -4, -4, 0, 0];
    assert.ok(maxAbsDiff(bands, tensor(new Float64Array(expected), { shape: [1, 4, 1, 2] })) < 1e-13);
    assert.ok(maxAbsDiff(haarIdwt(bands), x) < 1e-13);
  }));

  test('reproduces the reference DWT_3D of the fixture volume (raw bands, no LLL/3) to 1e-6', async () => {
    const { tensors } = await loadSafetensors(FIXTURE);
    const asTensor = (name: string) => tensor(new Float32Array(tensors[name].data.slice().buffer), { shape: tensors[name].shape });
    tidy(() => {
      const image = asTensor('dwt.image');
      assert.deepEqual(image.shape, [1, 1, 12, 16, 10]);
      const bands = haarDwt(image);
      for (let band = 0; band < 8; band++) {
        const diff = maxAbsDiff(bands.narrow(1, band, 1), asTensor(`dwt.band${band}`));
        assert.ok(diff < 1e-6, `band ${band} (${haarBandNames(3)[band]}) differs by ${diff}`);
      }
    });
  });

  test('refuses odd axes, naming the axis and size, and wrong ranks or channel counts', () => tidy(() => {
    assert.throws(() => haarDwt(zeros([1, 1, 8, 9, 8])),
      /^Error: haarDwt: spatial axis 1 \(H\) has size 9, not divisible by 2 \(shape \[1,1,8,9,8\]\); .*every axis must be even/);
    assert.throws(() => haarDwt(zeros([1, 1, 7, 8, 8])), /haarDwt: spatial axis 0 \(D\) has size 7/);
    assert.throws(() => haarDwt(zeros([8, 8, 8])), /haarDwt: x must be rank 5 \(N, C, D, H, W\) or rank 4 \(N, C, H, W\), got rank 3 \(shape \[8,8,8\]\)/);
    assert.throws(() => haarIdwt(zeros([1, 12, 2, 2, 2])), /haarIdwt: coefficients must have a multiple of 8 channels .* got 12/);
  }));

  test('frees every intermediate', () => {
    const x = tidy(() => randn([1, 2, 4, 4, 4]));
    const before = memory().numTensors;
    const bands = haarDwt(x);
    assert.equal(memory().numTensors, before + 1);
    const y = haarIdwt(bands);
    assert.equal(memory().numTensors, before + 2);
    dispose([x, bands, y]);
  });
});
