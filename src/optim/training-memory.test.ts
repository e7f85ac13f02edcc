import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Conv } from '../nn/conv.js';
import { GroupNorm } from '../nn/groupNorm.js';
import { Sequential } from '../nn/sequential.js';
import { SiLU } from '../nn/silu.js';
import { F, Generator, manualSeed, memory, randn, tidy } from '../tensor/index.js';
import { AdamW } from './adamW.js';
import { clipGradNorm_ } from './clipGradNorm.js';
import { EMA } from './ema.js';

const STEPS = 1000;
const MB = 1024 * 1024;
/**
 * Edge of the cubic input: 32³ as the engine's acceptance criterion states. libtorch 1.13's CPU conv3d
 * backward makes this the slowest test of the suite (about 3 minutes on 2 cores, the same per step as
 * PyTorch); MRSYNTH_TRAINING_MEMORY_EDGE=16 gives a half-minute run that still exposes a leak (one leaked
 * activation per step would add 128 MB) for quick local iterations.
 */
const EDGE = Number(process.env.MRSYNTH_TRAINING_MEMORY_EDGE ?? 32);

describe('training memory', () => {
  test(`${STEPS} steps of forward, backward, clipping, AdamW and EMA on a 3D conv net at ${EDGE}³ leak neither tensors nor RSS`, () => {
    assert.ok(Number.isInteger(EDGE) && EDGE >= 4, `MRSYNTH_TRAINING_MEMORY_EDGE must be an integer >= 4, got ${EDGE}`);
    manualSeed(0);
    const generator = new Generator(1);
    const before = memory().numTensors;
    const model = new Sequential(
      new Conv({ spatialDims: 3, inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
      new GroupNorm(4, 8),
      new SiLU(),
      new Conv({ spatialDims: 3, inChannels: 8, outChannels: 1, kernelSize: 3, padding: 1 }),
    );
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3 });
    const ema = new EMA(model, { decay: 0.999 });
    const target = tidy(() => randn([1, 1, EDGE, EDGE, EDGE], { generator }));
    let rssAt100 = 0;
    let firstLoss = 0;
    let lastLoss = 0;
    const started = performance.now();
    for (let step = 1; step <= STEPS; step++) {
      const loss = tidy(() => {
        const x = randn([1, 1, EDGE, EDGE, EDGE], { generator }).mul(0.1).add(target);
        const loss = F.mseLoss(model.forward(x), target);
        loss.backward();
        clipGradNorm_(model.parameters(), 1.0);
        optimizer.step();
        optimizer.zeroGrad();
        ema.update();
        return loss.item();
      });
      if (step === 1) firstLoss = loss;
      if (step === STEPS) lastLoss = loss;
      if (step === 100) rssAt100 = process.memoryUsage().rss;
    }
    const seconds = (performance.now() - started) / 1000;
    const rssAtEnd = process.memoryUsage().rss;
    const growth = (rssAtEnd - rssAt100) / MB;
    console.log(`training-memory: ${STEPS} steps at ${EDGE}³ in ${seconds.toFixed(1)} s (${(1000 * seconds / STEPS).toFixed(1)} ms/step); ` +
      `loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}; RSS ${(rssAt100 / MB).toFixed(1)} MB at step 100, ` +
      `${(rssAtEnd / MB).toFixed(1)} MB at step ${STEPS} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB); ` +
      `live tensors ${memory().numTensors - before} (model ${model.parameters().length}, AdamW ${2 * model.parameters().length}, ` +
      `EMA ${model.parameters().length}, target 1)`);
    assert.ok(lastLoss < firstLoss, `training should reduce the loss: ${firstLoss} → ${lastLoss}`);
    assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MB between step 100 and step ${STEPS}`);
    target.dispose();
    ema.dispose();
    optimizer.dispose();
    model.dispose();
    generator.dispose();
    assert.equal(memory().numTensors, before);
  });
});
