import { assert } from '../util/index.js';
import type { Random } from './random.js';
import type { FieldStrength, Relaxation } from './relaxation.js';

/**
 * MR sequences of the phantom and their steady-state magnitude signal equations. Times in ms.
 * A spin echo (T1w: short TR/TE, T2w: long TR/TE, PD: long TR, short TE) and an inversion recovery (FLAIR).
 */
export type Sequence =
  | { readonly kind: 'spin-echo'; readonly tr: number; readonly te: number }
  | { readonly kind: 'inversion-recovery'; readonly tr: number; readonly te: number; readonly ti: number };

/**
 * Spin echo: S = PD·(1 − e^{−TR/T1})·e^{−TE/T2}.
 * Inversion recovery: S = PD·|1 − 2e^{−TI/T1} + e^{−TR/T1}|·e^{−TE/T2} (magnitude image).
 */
export function signal(sequence: Sequence, tissue: Relaxation): number {
  const r1 = 1 / tissue.t1, r2 = 1 / tissue.t2;
  return sequence.kind === 'spin-echo'
    ? spinEchoSignal(tissue.pd, r1, r2, sequence.tr, sequence.te)
    : inversionRecoverySignal(tissue.pd, r1, r2, sequence.tr, sequence.te, sequence.ti);
}

/** The spin-echo equation in relaxation rates R1 = 1/T1, R2 = 1/T2 (1/ms), the form the per-voxel loop uses. */
export function spinEchoSignal(pd: number, r1: number, r2: number, tr: number, te: number): number {
  return pd * (1 - Math.exp(-tr * r1)) * Math.exp(-te * r2);
}

/** The inversion-recovery equation in relaxation rates R1 = 1/T1, R2 = 1/T2 (1/ms). */
export function inversionRecoverySignal(pd: number, r1: number, r2: number, tr: number, te: number, ti: number): number {
  return pd * Math.abs(1 - 2 * Math.exp(-ti * r1) + Math.exp(-tr * r1)) * Math.exp(-te * r2);
}

/**
 * The inversion time that nulls a tissue of longitudinal relaxation `t1` at repetition `tr`: the root of
 * 1 − 2e^{−TI/T1} + e^{−TR/T1} = 0, i.e. TI = T1·ln(2 / (1 + e^{−TR/T1})). FLAIR uses it with the T1 of CSF.
 */
export function nullingInversionTime(t1: number, tr: number): number {
  assert(t1 > 0 && tr > 0, () => `nullingInversionTime: T1 and TR must be positive, got T1 ${t1} ms, TR ${tr} ms`);
  return t1 * Math.log(2 / (1 + Math.exp(-tr / t1)));
}

/** The weightings the phantom acquires; T1ce is the T1w sequence after gadolinium, so it has no sequence of its own. */
export type Weighting = 't1' | 't2' | 'pd' | 'flair';

/**
 * Clinical protocol ranges (uniform) for each weighting. T1w: TR 400–700 ms, TE 8–20 ms; T2w: TR 3000–6000 ms,
 * TE 80–120 ms; PD: TR 2500–6000 ms, TE 8–20 ms; FLAIR: TR 8000–11000 ms, TE 90–140 ms.
 */
const RANGES: Readonly<Record<Weighting, { tr: [number, number]; te: [number, number] }>> = {
  t1: { tr: [400, 700], te: [8, 20] },
  t2: { tr: [3000, 6000], te: [80, 120] },
  pd: { tr: [2500, 6000], te: [8, 20] },
  flair: { tr: [8000, 11000], te: [90, 140] },
};

/**
 * Draws one case's sequence for a weighting. FLAIR's TI nulls CSF of T1 `csfT1` (the scanner's protocol is
 * tuned to CSF), detuned by up to ±3 % as a real protocol is tuned to a population, not to this patient.
 */
export function sampleSequence(rng: Random, weighting: Weighting, csfT1: number): Sequence {
  const range = RANGES[weighting];
  const tr = rng.uniform(range.tr[0], range.tr[1]);
  const te = rng.uniform(range.te[0], range.te[1]);
  if (weighting !== 'flair') return { kind: 'spin-echo', tr, te };
  return { kind: 'inversion-recovery', tr, te, ti: nullingInversionTime(csfT1, tr) * rng.uniform(0.97, 1.03) };
}

/** A field strength for a case, 1.5 T or 3 T with equal probability (as in BraTS and IXI, both mixed). */
export function sampleFieldStrength(rng: Random): FieldStrength {
  return rng.next() < 0.5 ? 1.5 : 3;
}
