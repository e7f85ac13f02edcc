import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CwdmUNet, parseCwdmUNetConfig } from '../models/wdm/index.js';
import { cwdmPipeline } from '../methods/cwdm/index.js';
import { Generator, keep, manualSeed, memory, rand } from '../tensor/index.js';
import { FixedValidationSet } from './fixedValidationSet.js';
import type { TrainingCase } from './trainingCases.js';

function randomCase(id: string, seed: number, side = 16): TrainingCase {
  const generator = new Generator(seed);
  const batch = {
    conditions: keep(rand([1, 3, side, side, side], { generator })),
    target: keep(rand([1, 1, side, side, side], { generator })),
  };
  generator.dispose();
  return { id, shape: [side, side, side], voxelSize: [1, 1, 1], batch };
}

describe('FixedValidationSet', () => {
  manualSeed(4);
  const config = parseCwdmUNetConfig('tiny');
  const pipeline = cwdmPipeline(new CwdmUNet(config), { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' });

  test('cycles through its cases and sees the same (t, noise) draws at every evaluation', () => {
    const cases = [randomCase('a', 1), randomCase('b', 2)];
    const set = new FixedValidationSet(cases, 5, 7);
    assert.deepEqual(set.triples.map((t) => t.caseIndex), [0, 1, 0, 1, 0]);
    assert.deepEqual(new FixedValidationSet(cases, 5, 7).triples, set.triples);
    const before = memory().numTensors;
    const first = set.loss(pipeline);
    assert.equal(set.loss(pipeline), first);
    assert.equal(memory().numTensors, before);
    assert.ok(pipeline.training, 'the model is back in training mode');
  });

  test('the mean-coefficient baseline is per coefficient on one grid, per band across grids', () => {
    const a = randomCase('a', 1);
    assert.equal(new FixedValidationSet([a], 2, 1).meanCoefficientLoss(pipeline, [a]), 0);
    const small = randomCase('small', 3, 8);
    // Across grids only band means remain: validating on the training case itself no longer costs nothing.
    assert.ok(new FixedValidationSet([a], 2, 1).meanCoefficientLoss(pipeline, [a, small]) > 0);
  });
});
