import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Generator, Tensor, dispose, memory, rand, randn, tensor, tidy, zeros } from '../tensor/index.js';
import { loadSafetensors } from '../io/safetensors/index.js';
import { packageRoot } from '../util/index.js';
import { haarDwt } from './haarDwt.js';
import { WaveletCodec } from './waveletCodec.js';
import { clipInImageSpace } from './latentCodec.js';

const FIXTURE = join(packageRoot(import.meta.url), 'test-fixtures', 'cwdm', 'cwdm-reference-tiny.safetensors');

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

describe('WaveletCodec (the cWDM first stage, LLL/3 convention)', () => {
  test('encode is the raw DWT with every LLL band divided by 3; decode inverts it', () => tidy(() => {
    const codec = new WaveletCodec();
    const generator = new Generator(5);
    const x = randn([1, 3, 4, 4, 6], { dtype: 'float64', generator });
    const raw = haarDwt(x);
    const encoded = codec.encode(x);
    for (let channel = 0; channel < 24; channel++) {
      const expected = channel % 8 === 0 ? raw.narrow(1, channel, 1).div(3) : raw.narrow(1, channel, 1);
      assert.equal(maxAbsDiff(encoded.narrow(1, channel, 1), expected), 0, `channel ${channel}`);
    }
    assert.ok(maxAbsDiff(codec.decode(encoded), x) < 1e-12);
    generator.dispose();
  }));

  test('an image in [0, 1] has LLL/3 within [0, 2√2/3]', () => tidy(() => {
    const codec = new WaveletCodec();
    const lll = codec.encode(zeros([1, 1, 4, 4, 4]).add(1)).narrow(1, 0, 1);
    assert.ok(Math.abs(lll.max().item() - (2 * Math.SQRT2) / 3) < 1e-6);
  }));

  test('clipInImageSpace reproduces the reference clipping of the fixture prediction to 1e-5', async () => {
    const { tensors } = await loadSafetensors(FIXTURE);
    const asTensor = (name: string) => tensor(new Float32Array(tensors[name].data.slice().buffer), { shape: tensors[name].shape });
    tidy(() => {
      const clipped = clipInImageSpace(new WaveletCodec(), asTensor('outputs.model_out'), 0, 1);
      const diff = maxAbsDiff(clipped, asTensor('outputs.pred_xstart_clipped'));
      assert.ok(diff < 1e-5, `differs by ${diff}`);
    });
  });

  test('clipInImageSpace leaves the coefficients of an image already in [0, 1] unchanged', () => tidy(() => {
    const codec = new WaveletCodec();
    const generator = new Generator(9);
    const inside = codec.encode(rand([1, 1, 4, 4, 4], { dtype: 'float64', generator }));
    assert.ok(maxAbsDiff(clipInImageSpace(codec, inside, 0, 1), inside) < 1e-12);
    generator.dispose();
  }));

  test('shapes: latentShape without running, and checkImageShape names the axis the network cannot take', () => {
    const codec = new WaveletCodec();
    assert.deepEqual(codec.latentShape([1, 1, 224, 224, 160]), [1, 8, 112, 112, 80]);
    codec.checkImageShape([1, 1, 224, 224, 160]);
    assert.throws(() => codec.checkImageShape([1, 1, 224, 224, 155]),
      /^Error: WaveletCodec.checkImageShape: spatial axis 2 \(W\) has size 155, not divisible by 32 \(shape \[1,1,224,224,155\]\); .*divisible by 16/);
    assert.throws(() => new WaveletCodec({ latentMultiple: 2 }).checkImageShape([1, 1, 8, 8, 6]), /axis 2 \(W\) has size 6, not divisible by 4/);
    assert.throws(() => codec.latentShape([1, 1, 8, 8, 7]), /WaveletCodec.latentShape: spatial axis 2 \(W\) has size 7/);
    assert.throws(() => codec.encode(zeros([1, 8, 8])), /WaveletCodec.encode: image must be rank 5 for spatialDims 3, got rank 3/);
    assert.match(codec.description, /3-D Haar DWT, 8 bands per channel .*LLL\/3/);
    assert.equal(codec.scaleFactor, 1);
  });

  test('2-D codec: 4 bands, LL/3, perfect reconstruction', () => tidy(() => {
    const codec = new WaveletCodec({ spatialDims: 2 });
    const generator = new Generator(1);
    const x = randn([2, 1, 8, 8], { dtype: 'float64', generator });
    generator.dispose();
    assert.deepEqual(codec.latentShape(x.shape), [2, 4, 4, 4]);
    assert.ok(maxAbsDiff(codec.decode(codec.encode(x)), x) < 1e-12);
  }));

  test('encode, decode and clipInImageSpace free their intermediates', () => {
    const codec = new WaveletCodec();
    const image = zeros([1, 1, 4, 4, 4]);
    const coefficients = zeros([1, 8, 2, 2, 2]);
    const before = memory().numTensors;
    const results = [codec.encode(image), codec.decode(coefficients), clipInImageSpace(codec, coefficients, 0, 1)];
    assert.equal(memory().numTensors, before + results.length);
    dispose([image, coefficients, results]);
  });
});
