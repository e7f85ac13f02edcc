import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, tidy } from '../tensor/index.js';
import { TrainingStreams, mirrorsSample, streamSeed } from './randomStreams.js';

/** The first values a generator draws, without moving the original. */
function firstDraws(generator: Generator): number[] {
  const copy = new Generator(0);
  copy.setState(generator.getState());
  const values = tidy(() => Array.from(randn([4], { generator: copy }).toTypedArray<'float32'>()));
  copy.dispose();
  return values;
}

describe('training random streams', () => {
  test('stream seeds depend on seed, stream and index alone, and nearby keys give unrelated seeds', () => {
    assert.equal(streamSeed(3, 'sample', 7), streamSeed(3, 'sample', 7));
    const seeds = new Set([streamSeed(3, 'sample', 7), streamSeed(3, 'sample', 8), streamSeed(4, 'sample', 7), streamSeed(3, 'dropout', 7)]);
    assert.equal(seeds.size, 4);
    for (const seed of seeds) assert.ok(seed >= 0n && seed < 2n ** 63n);
  });

  test('keyed: a batch of 2 at step s gets the generators of batches of 1 at steps 2s and 2s + 1; dropout is reseeded per step', () => {
    const streams = new TrainingStreams('keyed', 5);
    assert.deepEqual(streams.checkpointed, {}, 'nothing to carry: the draws follow from the step');
    const pair = (streams.forStep(3, 2) as Generator[]).map(firstDraws);
    const singles = [6, 7].map((step) => firstDraws((streams.forStep(step, 1) as Generator[])[0]));
    assert.deepEqual(pair, singles);
    streams.forStep(9, 1);
    const dropout = firstDraws(Generator.global());
    streams.forStep(2, 1);
    streams.forStep(9, 1);
    assert.deepEqual(firstDraws(Generator.global()), dropout);
    streams.dispose();
  });

  test('sequential: one noise generator seeded with seed + 2 for every step, carried by checkpoints', () => {
    const streams = new TrainingStreams('sequential', 5);
    const noise = streams.checkpointed.noise;
    assert.ok(noise instanceof Generator);
    assert.equal(streams.forStep(0, 2), noise);
    assert.equal(streams.forStep(1, 1), noise);
    const expected = new Generator(7);
    assert.deepEqual(firstDraws(noise), firstDraws(expected));
    expected.dispose();
    streams.dispose();
  });
});

test('mirrorsSample: a fixed draw per (seed, sample) that mirrors a fraction p of samples; p 0 never, p 1 always', () => {
  const n = 20_000;
  for (const p of [0.1, 0.5]) {
    const count = Array.from({ length: n }, (_, i) => mirrorsSample(3, i, p)).filter(Boolean).length;
    // Binomial(n, p): 5 standard deviations either side.
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(count - n * p) < 5 * sd, `p ${p}: ${count} of ${n} mirrored`);
  }
  assert.deepEqual(Array.from({ length: 50 }, (_, i) => mirrorsSample(3, i, 0.5)), Array.from({ length: 50 }, (_, i) => mirrorsSample(3, i, 0.5)));
  assert.notDeepEqual(Array.from({ length: 50 }, (_, i) => mirrorsSample(3, i, 0.5)), Array.from({ length: 50 }, (_, i) => mirrorsSample(4, i, 0.5)));
  assert.ok(Array.from({ length: 1000 }, (_, i) => !mirrorsSample(3, i, 0) && mirrorsSample(3, i, 1)).every(Boolean));
});
