import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CwdmUNet, parseCwdmUNetConfig } from '../../models/wdm/index.js';
import { checkTrainingMemory } from '../../training/index.js';
import { estimateCwdmTrainingMemory as estimateTrainingMemory, savedActivationValues } from './trainingMemory.js';

describe('training memory', () => {
  test('the activation count errs on the safe side of the reference\'s measured peaks (spec §15)', () => {
    const paper = parseCwdmUNetConfig('paper');
    const parameterBytes = 81_511_048 * 4;
    // Peak RSS of the PyTorch reference (batch 1) less weights, gradients, two moments and ≈ 0.3 GB of runtime.
    for (const [voxels, rss] of [[32 * 32 * 32, 2.3e9], [48 * 48 * 32, 3.5e9], [64 * 64 * 48, 5.5e9]]) {
      const measured = rss - 4 * parameterBytes - 0.3e9;
      const counted = savedActivationValues(paper, voxels) * 4;
      assert.ok(counted >= measured && counted < 1.4 * measured, `${voxels} voxels: counted ${counted}, measured ${measured}`);
    }
  });

  test('weights and activations scale as they should', () => {
    const config = parseCwdmUNetConfig('tiny');
    const model = new CwdmUNet(config);
    const parameterCount = model.numParameters();
    model.dispose();
    const small = estimateTrainingMemory(config, { parameterCount, imageShape: [32, 32, 32], batchSize: 1, cachedValues: 0 });
    const double = estimateTrainingMemory(config, { parameterCount, imageShape: [32, 32, 32], batchSize: 2, cachedValues: 1000 });
    assert.equal(small.parameters, parameterCount * 4);
    assert.equal(small.optimiser, 5 * small.parameters);
    assert.equal(double.activations, 2 * small.activations);
    assert.equal(double.data, 4000);
    assert.equal(small.total, small.parameters + small.optimiser + small.activations + small.data + small.runtime);
    // bf16 adds the bfloat16 working copy and its gradients (2 + 2 bytes a weight); activations stay counted at 4 bytes.
    const bf16 = estimateTrainingMemory(config, { parameterCount, imageShape: [32, 32, 32], batchSize: 1, cachedValues: 0, precision: 'bf16' });
    assert.deepEqual({ optimiser: bf16.optimiser, activations: bf16.activations }, { optimiser: 6 * small.parameters, activations: small.activations });
  });

  test('an estimate over the limit is refused with both numbers', () => {
    const estimate = { parameters: 2 ** 30, optimiser: 5 * 2 ** 30, activations: 2 ** 31, data: 0, runtime: 2 ** 29, total: 8.5 * 2 ** 30 };
    assert.throws(() => checkTrainingMemory(estimate, 4 * 2 ** 30, 'this run'),
      /checkTrainingMemory: this run would need about 8.50 GiB \(weights 1.00 GiB, gradients\/AdamW\/EMA 5.00 GiB, activations 2.00 GiB, cached cases 0.00 GiB, runtime 0.50 GiB\), but only 4.00 GiB is available/);
    checkTrainingMemory(estimate, 9 * 2 ** 30, 'this run');
  });
});
