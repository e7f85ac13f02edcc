import type { Random } from './random.js';

/**
 * Tissue relaxation parameters of the phantom: the three normal tissues of the SRI24 map and the three tumour
 * compartments of BraTS (necrotic core, enhancing rim, oedema). Times in ms, proton density relative to pure water.
 */
export const TISSUES = ['csf', 'gm', 'wm', 'necrosis', 'enhancing', 'oedema'] as const;
export type Tissue = (typeof TISSUES)[number];

export type FieldStrength = 1.5 | 3;
export const FIELD_STRENGTHS: readonly FieldStrength[] = [1.5, 3];

export interface Relaxation {
  readonly t1: number;
  readonly t2: number;
  readonly pd: number;
}

export type TissueRelaxation = Readonly<Record<Tissue, Relaxation>>;

/**
 * Population means. Normal tissue: T1/T2 of white and grey matter and CSF at 1.5 T and 3 T as tabulated by
 * Wansapura et al. (JMRI 1999), Stanisz et al. (MRM 2005) and Bojorquez et al. (MRI 2017); water content
 * (PD) WM ≈ 0.69, GM ≈ 0.80, CSF ≈ 1. Tumour compartments follow the glioma relaxometry literature
 * (e.g. Oh et al., ISMRM 2011; Badve et al., AJNR 2017): oedema is water-rich tissue (long T1 and T2),
 * the necrotic core nearly fluid (T2 several hundred ms), the viable enhancing rim between. T1 lengthens
 * with field strength, T2 shortens slightly.
 */
export const MEAN_RELAXATION: Readonly<Record<FieldStrength, TissueRelaxation>> = {
  1.5: {
    csf: { t1: 4000, t2: 1800, pd: 1.0 },
    gm: { t1: 1150, t2: 95, pd: 0.8 },
    wm: { t1: 700, t2: 75, pd: 0.69 },
    necrosis: { t1: 2200, t2: 450, pd: 0.95 },
    enhancing: { t1: 1300, t2: 120, pd: 0.86 },
    oedema: { t1: 1200, t2: 190, pd: 0.88 },
  },
  3: {
    csf: { t1: 4200, t2: 1700, pd: 1.0 },
    gm: { t1: 1450, t2: 88, pd: 0.8 },
    wm: { t1: 870, t2: 70, pd: 0.69 },
    necrosis: { t1: 2600, t2: 400, pd: 0.95 },
    enhancing: { t1: 1650, t2: 110, pd: 0.86 },
    oedema: { t1: 1500, t2: 170, pd: 0.88 },
  },
};

/**
 * Relative per-case spread (standard deviation of the log) of each parameter: subjects, ages and scanners
 * differ by ~5–10 % for normal tissue; tumours differ far more between patients.
 */
const SPREAD: Readonly<Record<Tissue, number>> = {
  csf: 0.05, gm: 0.07, wm: 0.07, necrosis: 0.2, enhancing: 0.15, oedema: 0.15,
};

/** One case's relaxation parameters: the field's means, each scaled by a log-normal factor of the tissue's spread. */
export function sampleRelaxation(rng: Random, field: FieldStrength): TissueRelaxation {
  const draw = (mean: number, spread: number) => mean * Math.exp(spread * rng.normal());
  const out = {} as Record<Tissue, Relaxation>;
  for (const tissue of TISSUES) {
    const m = MEAN_RELAXATION[field][tissue];
    const s = SPREAD[tissue];
    // PD varies half as much as the relaxation times and never exceeds pure water.
    out[tissue] = { t1: draw(m.t1, s), t2: draw(m.t2, s), pd: Math.min(1, draw(m.pd, s / 2)) };
  }
  return out;
}

/**
 * Longitudinal relaxivity r1 of gadolinium chelates in tissue, in 1/(mM·s): ≈ 4.0 at 1.5 T and 3.6 at 3 T for
 * gadobutrol/gadoterate-class agents (Rohrer et al., Invest Radiol 2005).
 */
export const GADOLINIUM_R1: Readonly<Record<FieldStrength, number>> = { 1.5: 4.0, 3: 3.6 };

