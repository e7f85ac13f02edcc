/**
 * Sampling with fewer steps than training (guided-diffusion `respace.py`, which cWDM ships; spec §5). The reference
 * never gets to use it (its loop hard-codes 1000 steps, spec §13); the rule is reproduced so that K = T gives its
 * ancestral sampler exactly and K < T gives the schedule its `timestep_respacing="K"` would have built.
 */
import { assert } from '../util/index.js';

/**
 * The `count` original timesteps kept, ascending: `space_timesteps(T, [count])`, i.e. round(i · (T − 1)/(count − 1))
 * for i = 0 … count − 1 with the position accumulated by repeated addition and Python's round (ties to even), so
 * the first is 0 and the last T − 1 (T = 1000, count = 50: 0, 20, 41, …, 999).
 */
export function spaceTimesteps(numTrainTimesteps: number, count: number): number[] {
  assert(Number.isInteger(count) && count >= 1 && count <= numTrainTimesteps,
    () => `spaceTimesteps: count must be an integer in [1, ${numTrainTimesteps}] (the training timesteps), got ${count}`);
  const stride = count <= 1 ? 1 : (numTrainTimesteps - 1) / (count - 1);
  const steps: number[] = [];
  let position = 0;
  for (let i = 0; i < count; i++) {
    steps.push(roundHalfEven(position));
    position += stride;
  }
  return steps;
}

/**
 * The `count` DDIM steps of latent diffusion (CompVis `make_ddim_timesteps`, 'uniform', which ALDM uses), ascending:
 * c = ⌊T / count⌋ and τ = 0, c, 2c, … (below T), each plus one — so count = 50 of T = 1000 visits 1, 21, …, 981, and a
 * count that does not divide T gives more steps than asked (7 → 8, 400 → 500), as the reference does. Where the last
 * τ would be T itself ((T − 1) divisible by c: count = 3, 300, 1000 …) the reference indexes past its tables; that is
 * refused here, naming counts that work.
 */
export function ldmTimesteps(numTrainTimesteps: number, count: number): number[] {
  assert(Number.isInteger(count) && count >= 1 && count <= numTrainTimesteps,
    () => `ldmTimesteps: count must be an integer in [1, ${numTrainTimesteps}] (the training timesteps), got ${count}`);
  const stride = Math.floor(numTrainTimesteps / count);
  const steps: number[] = [];
  for (let t = 0; t < numTrainTimesteps; t += stride) steps.push(t + 1);
  if (steps[steps.length - 1] >= numTrainTimesteps) {
    const works = (n: number) => n >= 1 && n <= numTrainTimesteps && (numTrainTimesteps - 1) % Math.floor(numTrainTimesteps / n) !== 0;
    const nearby = [...new Set([...Array(numTrainTimesteps).keys()].map((i) => i + 1).filter(works)
      .sort((a, b) => Math.abs(a - count) - Math.abs(b - count) || a - b).slice(0, 2))].sort((a, b) => a - b);
    throw new Error(`ldmTimesteps: ${count} steps of T = ${numTrainTimesteps} ('ldm' spacing: every ${stride}th timestep, plus one) would end `
      + `at t = ${steps[steps.length - 1]}, past the last timestep ${numTrainTimesteps - 1} (the reference indexes past its tables there); `
      + `choose another count, e.g. ${nearby.join(' or ')}`);
  }
  return steps;
}

/**
 * β'_k = 1 − ᾱ_{τ_k} / ᾱ_{τ_{k−1}} (ᾱ_{τ_{−1}} := 1): the one-step β's of the process that visits only the kept
 * timesteps τ (ascending) and has the same marginals q(x_τ | x_0) there (respace.py `SpacedDiffusion`).
 */
export function respaceBetas(alphasCumprod: readonly number[], timesteps: readonly number[]): number[] {
  let last = 1;
  return timesteps.map((t, k) => {
    assert(Number.isInteger(t) && t >= 0 && t < alphasCumprod.length && (k === 0 || t > timesteps[k - 1]),
      () => `respaceBetas: timesteps must be ascending integers in [0, ${alphasCumprod.length}), got ${t} at position ${k}`);
    const beta = 1 - alphasCumprod[t] / last;
    last = alphasCumprod[t];
    return beta;
  });
}

/** Python 3's round() on a float: nearest integer, exact halves to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
