/**
 * Named β schedules (MONAI's `NoiseSchedules` registry, STYLE §3): each maps a number of training timesteps T to
 * β_0 … β_{T−1}, computed in float64 as the references compute them.
 */
import { assert } from '../util/index.js';

export interface BetaSchedule {
  readonly description: string;
  readonly betas: (numTimesteps: number) => number[];
}

export const BETA_SCHEDULES = {
  linear: {
    description: 'DDPM linear (Ho et al. 2020): β from 1e-4 to 0.02, both scaled by 1000/T (guided-diffusion; cWDM uses T = 1000)',
    betas: (numTimesteps: number) => {
      const scale = 1000 / numTimesteps;
      return numpyLinspace(scale * 1e-4, scale * 0.02, numTimesteps);
    },
  },
  scaledLinear: {
    description: 'latent diffusion "linear": √β linear from √0.0015 to √0.0195, squared (Rombach et al. 2022; ALDM)',
    betas: (numTimesteps: number) => numpyLinspace(Math.sqrt(0.0015), Math.sqrt(0.0195), numTimesteps).map((b) => b * b),
  },
  cosine: {
    description: 'cosine (Nichol & Dhariwal 2021, Eq. 17): ᾱ(t) = cos²((t/T + 0.008)/1.008 · π/2), β capped at 0.999',
    betas: (numTimesteps: number) => Array.from({ length: numTimesteps }, (_, i) =>
      Math.min(1 - cosineAlphaBar((i + 1) / numTimesteps) / cosineAlphaBar(i / numTimesteps), 0.999)),
  },
} as const satisfies Record<string, BetaSchedule>;

export type BetaScheduleName = keyof typeof BETA_SCHEDULES;
export const BETA_SCHEDULE_NAMES = Object.keys(BETA_SCHEDULES) as BetaScheduleName[];

/** β_0 … β_{T−1} of the named schedule. */
export function betaSchedule(name: BetaScheduleName, numTimesteps: number): number[] {
  assert(Object.hasOwn(BETA_SCHEDULES, name),
    () => `betaSchedule: unknown schedule ${JSON.stringify(name)}, expected one of ${BETA_SCHEDULE_NAMES.join(', ')}`);
  assert(Number.isInteger(numTimesteps) && numTimesteps >= 2,
    () => `betaSchedule: numTimesteps must be an integer ≥ 2, got ${numTimesteps}`);
  return BETA_SCHEDULES[name].betas(numTimesteps);
}

function cosineAlphaBar(t: number): number {
  return Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
}

/** numpy.linspace's arithmetic (start + i·step, the last value set to stop), so the float64 values agree bit for bit. */
function numpyLinspace(start: number, stop: number, count: number): number[] {
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : i * step + start));
}
