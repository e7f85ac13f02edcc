import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, dispose, memory, randn, tidy } from '../tensor/index.js';
import { DDIMScheduler, parseDDIMSchedulerConfig } from './ddim.js';
import { DDPMScheduler, parseDDPMSchedulerConfig } from './ddpm.js';
import type { Scheduler } from './scheduler.js';

/** What every scheduler must do for a shared sampling loop, run on each (STYLE §11: one contract suite). */
const SCHEDULERS: { name: string; steps: number; lastTimestep: number; make: () => Scheduler }[] = [
  { name: 'DDPM, 1000 steps', steps: 1000, lastTimestep: 0, make: () => new DDPMScheduler(parseDDPMSchedulerConfig(), { clipPredX0: (x) => x.clamp(-1, 1) }) },
  { name: 'DDPM, 12 steps, posterior variance', steps: 12, lastTimestep: 0, make: () => new DDPMScheduler(parseDDPMSchedulerConfig({ variance: 'posterior' })) },
  { name: 'DDIM, η = 1', steps: 50, lastTimestep: 0, make: () => new DDIMScheduler(parseDDIMSchedulerConfig({ eta: 1 }), { clipPredX0: (x) => x.clamp(-1, 1) }) },
  { name: 'DDIM, η = 0, ε-prediction', steps: 50, lastTimestep: 0, make: () => new DDIMScheduler(parseDDIMSchedulerConfig({ predictionType: 'epsilon' })) },
  {
    name: 'DDIM, η = 1, ε-prediction, ldm spacing', steps: 50, lastTimestep: 1,
    make: () => new DDIMScheduler(parseDDIMSchedulerConfig({ eta: 1, predictionType: 'epsilon', timestepSpacing: 'ldm', betaSchedule: 'scaledLinear' })),
  },
  {
    name: 'DDPM, 1000 steps, ldm spacing', steps: 1000, lastTimestep: 0,
    make: () => new DDPMScheduler(parseDDPMSchedulerConfig({ variance: 'posterior', predictionType: 'epsilon', timestepSpacing: 'ldm' })),
  },
];

/** A stand-in denoiser: some fixed function of x_t and t. */
function model(x: Tensor, t: number): Tensor {
  return x.mul(0.5).add(t / 1000);
}

/** Runs the first `steps` steps from a seeded x_T; returns the final sample's values. */
function sample(scheduler: Scheduler, seed: number, steps: number): Float32Array {
  const generator = new Generator(seed);
  let x = randn([1, 8, 4, 4, 4], { generator });
  for (const t of scheduler.timesteps.slice(0, steps)) {
    const next = tidy(() => scheduler.step(model(x, t), t, x, { generator }).prevSample);
    x.dispose();
    x = next;
  }
  generator.dispose();
  const values = x.toTypedArray() as Float32Array;
  x.dispose();
  return values;
}

for (const { name, steps, lastTimestep, make } of SCHEDULERS) {
  describe(`scheduler contract: ${name}`, () => {
    const scheduler = make();
    scheduler.setTimesteps(steps);

    test(`timesteps are original indices, strictly descending, ending at ${lastTimestep}`, () => {
      const { timesteps } = scheduler;
      assert.equal(timesteps[timesteps.length - 1], lastTimestep);
      assert.ok(timesteps.every((t, i) => i === 0 || t < timesteps[i - 1]));
      assert.ok(timesteps[0] <= scheduler.config.numTrainTimesteps - 1);
    });

    test('the same seed gives the same samples; another seed does not', () => {
      const a = sample(scheduler, 42, 5);
      assert.deepEqual(sample(scheduler, 42, 5), a);
      assert.notDeepEqual(sample(scheduler, 43, 5), a);
    });

    test('with a generator per sample, each row of a step draws its noise from its own, as a batch of one would', () => tidy(() => {
      const x = randn([2, 8, 4, 4, 4], { generator: new Generator(3) });
      const t = scheduler.timesteps[0];
      const both = scheduler.step(x, t, x, { generator: [new Generator(5), new Generator(6)] }).prevSample;
      for (const [i, seed] of [5, 6].entries()) {
        const row = x.narrow(0, i, 1);
        assert.deepEqual(both.narrow(0, i, 1).toTypedArray(), scheduler.step(row, t, row, { generator: new Generator(seed) }).prevSample.toTypedArray());
      }
    }));

    test('a step leaves no tensors behind beyond its two outputs', () => {
      const generator = new Generator(1);
      const x = randn([1, 8, 4, 4, 4], { generator });
      const before = memory().numTensors;
      for (const t of scheduler.timesteps.slice(0, 3)) {
        const output = scheduler.step(x, t, x, { generator });
        assert.equal(memory().numTensors, before + 2, `t = ${t}`);
        dispose(output);
      }
      const last = scheduler.step(x, lastTimestep, x, { generator });
      assert.equal(memory().numTensors, before + 2);
      dispose([last, x]);
      generator.dispose();
    });
  });
}
