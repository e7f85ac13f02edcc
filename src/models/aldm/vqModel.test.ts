import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, noGrad, randn, setNumThreads, tidy } from '../../tensor/index.js';
import { readAldmFixture } from './aldmFixture.testSupport.js';
import { parseAutoencoderConfig } from './autoencoderConfig.js';
import { VQModel, vqModelParameterCounts } from './vqModel.js';

// The fixture was computed single-threaded; libtorch's multi-threaded reductions round differently.
setNumThreads(1);

describe('VQModel', () => {
  test("code: the issue's counts per part (spec §2.1, checked on the reference)", () => {
    const model = new VQModel(parseAutoencoderConfig('code'));
    assert.deepEqual(vqModelParameterCounts(model), {
      encoder: 2_238_340, decoder: 4_230_721, codebook: 32_768, quantConv: 20, postQuantConv: 20, spade: 18_932_428, total: 25_434_297,
    });
    // The codebook starts as the reference's: U(−1/8192, 1/8192).
    const codebook = model.quantize.codebook;
    assert.ok(tidy(() => codebook.abs().max().item()) <= 1 / 8192);
    model.dispose();
  });

  test('cpu and reference-tiny counts; reference-tiny holds exactly as many values as the fixture\'s vqgan.*', async () => {
    const cpu = new VQModel(parseAutoencoderConfig('cpu'));
    assert.deepEqual(vqModelParameterCounts(cpu), {
      encoder: 564_164, decoder: 1_062_689, codebook: 32_768, quantConv: 20, postQuantConv: 20, spade: 4_412_044, total: 6_071_705,
    });
    cpu.dispose();
    const tiny = new VQModel(parseAutoencoderConfig('reference-tiny'));
    assert.deepEqual(vqModelParameterCounts(tiny), {
      encoder: 143_332, decoder: 268_177, codebook: 256, quantConv: 20, postQuantConv: 20, spade: 1_260_028, total: 1_671_833,
    });
    const weights = (await readAldmFixture()).stateDict('vqgan');
    assert.equal(Object.values(weights).reduce((sum, t) => sum + t.numel, 0), 1_671_833);
    for (const t of Object.values(weights)) t.dispose();
    tiny.dispose();
  });

  test('encode → translate → decode: shapes at reference-tiny, and only the results stay alive', () => {
    const model = new VQModel(parseAutoencoderConfig('reference-tiny'));
    const x = randn([2, 1, 8, 16, 8]);
    const before = memory().numTensors;
    const { zQ, loss, indices } = noGrad(() => model.encode(x, { searchRows: 10 }));
    assert.deepEqual([zQ.shape, loss.shape, indices.shape], [[2, 4, 2, 4, 2], [], [32]]);
    const translated = noGrad(() => model.translate(zQ, [0, 3]));
    const image = noGrad(() => model.decode(translated));
    assert.deepEqual(image.shape, [2, 1, 8, 16, 8]);
    assert.equal(memory().numTensors, before + 5);
    for (const d of [x, zQ, loss, indices, translated, image, model]) d.dispose();
  });
});
