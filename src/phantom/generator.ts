import { assert } from '../util/assert.js';
import { multiplyAffine } from '../volume/affine.js';
import { voxelCount, type Volume } from '../volume/volume.js';
import type { Contrast } from '../data/contrast.js';
import { brainVoxelsInBox, type Anatomy } from './anatomy.js';
import type { PhantomGrid } from './grid.js';
import { lesionMembership, lesionReach, sampleLesion, type Lesion, type LesionMembership } from './lesion.js';
import { Random } from './random.js';
import {
  GADOLINIUM_R1, sampleRelaxation, TISSUES, type FieldStrength, type Tissue, type TissueRelaxation,
} from './relaxation.js';
import {
  inversionRecoverySignal, sampleFieldStrength, sampleSequence, signal, spinEchoSignal, type Sequence, type Weighting,
} from './sequence.js';
import { coarseGrid, evaluatePlaneWaves, fillSmoothNoise, randomPlaneWaves, type CoarseGrid } from './smoothField.js';

export const PHANTOM_STYLES = ['brats', 'ixi'] as const;
export type PhantomStyle = (typeof PHANTOM_STYLES)[number];

/** What each style acquires: BraTS's four contrasts (T1ce is T1w after gadolinium), IXI's T1/T2/PD triplet. */
export const STYLE_CONTRASTS: Readonly<Record<PhantomStyle, readonly Contrast[]>> = {
  brats: ['t1', 't1ce', 't2', 'flair'],
  ixi: ['t1', 't2', 'pd'],
};
const STYLE_WEIGHTINGS: Readonly<Record<PhantomStyle, readonly Weighting[]>> = {
  brats: ['t1', 't2', 'flair'],
  ixi: ['t1', 't2', 'pd'],
};

/** Everything drawn for one case, enough to explain (or re-derive) its intensities. */
export interface PhantomParameters {
  readonly field: FieldStrength;
  readonly relaxation: TissueRelaxation;
  readonly sequences: Readonly<Partial<Record<Weighting, Sequence>>>;
  /** Scanner gain per contrast: stored value = gain · signal (T1ce shares T1's). */
  readonly gain: Readonly<Partial<Record<Contrast, number>>>;
  /** Rician noise σ per contrast, in stored units. */
  readonly noiseSigma: Readonly<Partial<Record<Contrast, number>>>;
  /** Gadolinium concentration in the enhancing rim, mM (BraTS style only). */
  readonly gadolinium?: number;
  readonly lesion?: Lesion;
}

export interface PhantomCase {
  readonly id: string;
  readonly style: PhantomStyle;
  readonly seed: number;
  readonly index: number;
  /** Integer-valued intensities (scanner-like int16 range), 0 outside the brain. */
  readonly contrasts: Readonly<Partial<Record<Contrast, Volume>>>;
  /** BraTS labels: 0 elsewhere, 1 necrotic core, 2 oedema, 4 enhancing tumour (BraTS style only). */
  readonly seg?: Volume;
  /** Partial-volume fractions of CSF, GM and WM (normal tissue only), when asked for. */
  readonly fractions?: Readonly<Record<'csf' | 'gm' | 'wm', Volume>>;
  readonly parameters: PhantomParameters;
}

export interface GenerateOptions {
  /** Add Rician noise; default true. Without it the case is the noise-free ground truth of the same phantom. */
  readonly noise?: boolean;
  /** Also return the tissue fractions; default false. */
  readonly fractions?: boolean;
}

/** BraTS 2021-like case id (`Phantom<seed>_<index, 5 digits>`) or IXI-like (`IXI<index + 1, 3 digits>-Phantom-<seed, 4 digits>`). */
export function phantomCaseId(style: PhantomStyle, seed: number, index: number): string {
  return style === 'brats'
    ? `Phantom${seed}_${String(index).padStart(5, '0')}`
    : `IXI${String(index + 1).padStart(3, '0')}-Phantom-${String(seed).padStart(4, '0')}`;
}

/** Texture amplitude (relative sd of T1, T2 and PD within a tissue): tumours are far more heterogeneous. */
const TEXTURE: Readonly<Record<Tissue, number>> = {
  csf: 0.02, gm: 0.06, wm: 0.05, necrosis: 0.15, enhancing: 0.12, oedema: 0.1,
};

/**
 * Generates multi-contrast brain phantoms on one grid from one template anatomy. It owns the working buffers,
 * reused from case to case; each generated case owns its volumes.
 *
 * Per case: (1) deform the anatomy by a random global affine plus a smooth displacement and resample its
 * one-hot tissue maps trilinearly, giving partial-volume tissue fractions per voxel; (2) BraTS style: grow a
 * lesion in white matter; (3) draw relaxation parameters, sequences, texture, bias and noise; (4) evaluate
 * the signal equations per tissue and mix them by fraction. Only brain voxels are visited after step 1.
 */
export class PhantomGenerator {
  private readonly voxels = new BrainVoxels();
  private readonly paddedLabels: Uint8Array;
  /** Voxels per coarse node for displacement and bias: about 8 mm, smooth enough for both. */
  private readonly blockStep: number;
  /** Voxels per texture node: about 3 mm, the scale of tissue heterogeneity we model. */
  private readonly textureStep: number;
  /** Gaussian deviates for the noise of one contrast, two per brain voxel. */
  private normals = new Float32Array(0);
  /** Per-row scratch of the resampling: lattice channels at the row's start and their step per voxel, tissue fractions. */
  private readonly rowStart = new Float64Array(16);
  private readonly rowSlope = new Float64Array(16);
  private readonly fraction = new Float64Array(4);

  constructor(readonly anatomy: Anatomy, readonly grid: PhantomGrid) {
    this.paddedLabels = padLabels(anatomy);
    this.blockStep = Math.max(2, Math.round(8 / grid.spacing));
    this.textureStep = Math.max(1, Math.round(3 / grid.spacing));
  }

  generate(seed: number, index: number, style: PhantomStyle, options: GenerateOptions = {}): PhantomCase {
    assert(Number.isSafeInteger(seed) && seed >= 0, () => `PhantomGenerator.generate: seed must be a non-negative integer, got ${seed}`);
    assert(Number.isSafeInteger(index) && index >= 0, () => `PhantomGenerator.generate: index must be a non-negative integer, got ${index}`);
    assert((PHANTOM_STYLES as readonly string[]).includes(style), () =>
      `PhantomGenerator.generate: style must be one of ${PHANTOM_STYLES.join(', ')}, got '${style}'`);
    const styleCode = PHANTOM_STYLES.indexOf(style);
    // Two streams per case, so that the noise-free case is exactly the noisy one without its noise.
    const rng = new Random(seed, index, styleCode, 0);
    const noiseRng = new Random(seed, index, styleCode, 1);
    const weightings = STYLE_WEIGHTINGS[style];

    this.resampleAnatomy(rng, weightings.length);
    const voxels = this.voxels;
    voxels.clearLesion();
    const lesion = style === 'brats' ? this.growLesion(rng) : undefined;
    const texture = this.sampleTexture(rng);

    const field = sampleFieldStrength(rng);
    const relaxation = sampleRelaxation(rng, field);
    const sequences: Partial<Record<Weighting, Sequence>> = {};
    for (const w of weightings) sequences[w] = sampleSequence(rng, w, relaxation.csf.t1);
    const gadolinium = style === 'brats' ? rng.uniform(0.15, 0.5) : undefined;

    const contrasts = STYLE_CONTRASTS[style];
    const gain: Partial<Record<Contrast, number>> = {};
    const noiseSigma: Partial<Record<Contrast, number>> = {};
    for (const w of weightings) {
      // The brightest normal tissue lands at a scanner-like value of a few hundred to a few thousand, and the
      // noise σ is set by an SNR of that tissue typical of clinical 2D scans.
      const reference = Math.max(...(['csf', 'gm', 'wm'] as const).map((t) => signal(sequences[w]!, relaxation[t])));
      gain[w] = rng.uniform(400, 2500) / reference;
      noiseSigma[w] = (gain[w]! * reference) / rng.uniform(12, 30);
    }
    if (style === 'brats') {
      gain.t1ce = gain.t1;
      noiseSigma.t1ce = (gain.t1! * Math.max(signal(sequences.t1!, relaxation.wm), signal(sequences.t1!, relaxation.gm))) / rng.uniform(12, 30);
    }

    const signals = this.synthesise(weightings, sequences as Record<Weighting, Sequence>, relaxation, texture, field, gadolinium);
    const out: Partial<Record<Contrast, Volume>> = {};
    for (const c of contrasts) {
      // T1ce shares the T1w acquisition's gain and bias field: only the contrast agent differs.
      const w = c === 't1ce' ? weightings.indexOf('t1') : weightings.indexOf(c as Weighting);
      out[c] = this.finish(signals[c]!, w, gain[c]!, (options.noise ?? true) ? noiseSigma[c]! : 0, noiseRng);
    }

    return {
      id: phantomCaseId(style, seed, index), style, seed, index, contrasts: out,
      seg: lesion ? this.labelMap() : undefined,
      fractions: options.fractions ? this.fractionVolumes() : undefined,
      parameters: { field, relaxation, sequences, gain, noiseSigma, gadolinium, lesion },
    };
  }

  /**
   * Step 1. Output voxel v maps to world x = A_out·v, through the random deformation to x' = G(x) + d(x), and
   * to the template's continuous index u = A_src⁻¹·x'. u is computed at the coarse nodes only; inside a block of
   * nodes it is their trilinear interpolation, i.e. the displacement is a trilinear spline (smooth at the 8 mm
   * scale of its nodes). A block whose corners' bounding box holds no brain voxel of the template is skipped
   * whole, which leaves out most of the background. The bias fields share the lattice.
   */
  private resampleAnatomy(rng: Random, biasChannels: number): void {
    const { anatomy, grid } = this;
    const B = this.blockStep;
    const lattice = coarseGrid(grid.shape, B, 3 + biasChannels);
    const toSource = multiplyAffine(anatomy.worldToVoxel, randomGlobalAffine(rng, anatomy.centre));
    const displacement = [0, 1, 2].map(() => randomPlaneWaves(rng, 4, 60, 160, rng.uniform(1.5, 3)));
    // Receive-coil sensitivity varies over tens of centimetres: ±10–25 % over the brain.
    const biasFields = Array.from({ length: biasChannels }, () => randomPlaneWaves(rng, 3, 200, 500, rng.uniform(0.06, 0.14)));
    const [na, nb, nc] = lattice.nodes;
    const C = lattice.channels, a = grid.affine, m = toSource, L = lattice.data;
    for (let c = 0; c < nc; c++) {
      for (let b = 0; b < nb; b++) {
        for (let i = 0; i < na; i++) {
          const vi = i * B, vj = b * B, vk = c * B;
          const x = a[0] * vi + a[1] * vj + a[2] * vk + a[3];
          const y = a[4] * vi + a[5] * vj + a[6] * vk + a[7];
          const z = a[8] * vi + a[9] * vj + a[10] * vk + a[11];
          const dx = evaluatePlaneWaves(displacement[0], x, y, z);
          const dy = evaluatePlaneWaves(displacement[1], x, y, z);
          const dz = evaluatePlaneWaves(displacement[2], x, y, z);
          const at = (i + na * (b + nb * c)) * C;
          for (let r = 0; r < 3; r++) {
            L[at + r] = m[r * 4] * (x + dx) + m[r * 4 + 1] * (y + dy) + m[r * 4 + 2] * (z + dz) + m[r * 4 + 3];
          }
          for (let ch = 0; ch < biasChannels; ch++) L[at + 3 + ch] = Math.exp(evaluatePlaneWaves(biasFields[ch], x, y, z));
        }
      }
    }
    this.voxels.reset(biasChannels);
    const [nx, ny, nz] = grid.shape;
    const blocks = [Math.ceil(nx / B), Math.ceil(ny / B), Math.ceil(nz / B)];
    const touches = new Uint8Array(blocks[0] * blocks[1] * blocks[2]);
    for (let c = 0; c < blocks[2]; c++) {
      for (let b = 0; b < blocks[1]; b++) {
        for (let i = 0; i < blocks[0]; i++) touches[i + blocks[0] * (b + blocks[1] * c)] = this.blockTouchesBrain(lattice, i, b, c) ? 1 : 0;
      }
    }
    // Raster order, so brain voxels are stored by increasing grid index and later passes write volumes sequentially.
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        const row = blocks[0] * (Math.floor(j / B) + blocks[1] * Math.floor(k / B));
        for (let a = 0; a < blocks[0]; a++) if (touches[row + a]) this.resampleRow(lattice, a, j, k);
      }
    }
  }

  private blockTouchesBrain(lattice: CoarseGrid, a: number, b: number, c: number): boolean {
    const [na, nb] = lattice.nodes;
    const C = lattice.channels, L = lattice.data;
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let corner = 0; corner < 8; corner++) {
      const at = (a + (corner & 1) + na * (b + ((corner >> 1) & 1) + nb * (c + (corner >> 2)))) * C;
      for (let r = 0; r < 3; r++) {
        lo[r] = Math.min(lo[r], L[at + r]);
        hi[r] = Math.max(hi[r], L[at + r]);
      }
    }
    return brainVoxelsInBox(this.anatomy, lo.map((v) => Math.floor(v)), hi.map((v) => Math.ceil(v))) > 0;
  }

  /**
   * Resamples the run of voxels of row (j, k) inside lattice block column `a`. Along the row u and the bias
   * are linear in i, so each voxel costs one increment per channel, then the 8 label reads.
   */
  private resampleRow(lattice: CoarseGrid, a: number, j: number, k: number): void {
    const [na, nb] = lattice.nodes;
    const C = lattice.channels, L = lattice.data, B = lattice.step;
    const [nx, ny] = this.grid.shape;
    const [sx, sy, sz] = this.anatomy.shape;
    const px = sx + 2, pxy = (sx + 2) * (sy + 2);
    const labels = this.paddedLabels;
    const voxels = this.voxels;
    const start = this.rowStart, slope = this.rowSlope, fraction = this.fraction;
    const b = Math.floor(j / B), c = Math.floor(k / B);
    const wy = (j - b * B) / B, wz = (k - c * B) / B;
    const w00 = (1 - wy) * (1 - wz), w10 = wy * (1 - wz), w01 = (1 - wy) * wz, w11 = wy * wz;
    const c000 = (a + na * (b + nb * c)) * C, dy = na * C, dz = na * nb * C;
    for (let ch = 0; ch < C; ch++) {
      const q = c000 + ch;
      const left = w00 * L[q] + w10 * L[q + dy] + w01 * L[q + dz] + w11 * L[q + dy + dz];
      const right = w00 * L[q + C] + w10 * L[q + C + dy] + w01 * L[q + C + dz] + w11 * L[q + C + dy + dz];
      start[ch] = left;
      slope[ch] = (right - left) / B;
    }
    const i0 = a * B, i1 = Math.min(nx, i0 + B);
    const rowStart = nx * (j + ny * k);
    for (let i = i0; i < i1; i++) {
      const di = i - i0;
      // Continuous template index, shifted by the one-voxel zero padding of `labels`.
      const u = start[0] + di * slope[0] + 1, v = start[1] + di * slope[1] + 1, w = start[2] + di * slope[2] + 1;
      if (!(u >= 0 && v >= 0 && w >= 0 && u < sx + 1 && v < sy + 1 && w < sz + 1)) continue;
      const iu = Math.floor(u), iv = Math.floor(v), iw = Math.floor(w);
      const fu = u - iu, fv = v - iv, fw = w - iw;
      const p = iu + px * iv + pxy * iw;
      // Trilinear interpolation of the one-hot tissue maps: each of the 8 neighbours adds its weight to its label.
      fraction[0] = fraction[1] = fraction[2] = fraction[3] = 0;
      fraction[labels[p]] += (1 - fu) * (1 - fv) * (1 - fw);
      fraction[labels[p + 1]] += fu * (1 - fv) * (1 - fw);
      fraction[labels[p + px]] += (1 - fu) * fv * (1 - fw);
      fraction[labels[p + px + 1]] += fu * fv * (1 - fw);
      fraction[labels[p + pxy]] += (1 - fu) * (1 - fv) * fw;
      fraction[labels[p + pxy + 1]] += fu * (1 - fv) * fw;
      fraction[labels[p + pxy + px]] += (1 - fu) * fv * fw;
      fraction[labels[p + pxy + px + 1]] += fu * fv * fw;
      // The brain mask: voxels that are mostly tissue. Everything else stays exactly 0, as after skull stripping.
      if (fraction[0] >= 0.5) continue;
      const n = voxels.push(rowStart + i, fraction[1], fraction[2], fraction[3]);
      for (let ch = 3; ch < C; ch++) voxels.bias[(ch - 3) * voxels.capacity + n] = start[ch] + di * slope[ch];
    }
  }

  /** Step 2: a lesion centred in white matter away from the brain's edge, its membership per brain voxel. */
  private growLesion(rng: Random): Lesion {
    const voxels = this.voxels;
    const [nx, ny] = this.grid.shape;
    const s = this.grid.spacing;
    const centroid = voxels.centroid(nx, ny);
    const extent = voxels.extent(nx, ny, centroid);
    let centre: [number, number, number] | undefined;
    for (let attempt = 0; centre === undefined; attempt++) {
      assert(attempt < 100000, () => `PhantomGenerator: found no white-matter voxel for a lesion among ${voxels.count} brain voxels`);
      const n = rng.int(voxels.count);
      if (voxels.wm[n] < 0.9) continue;
      const [i, j, k] = voxels.position(n, nx, ny);
      // Within the inner 60 % of the brain's extent on each axis, where tumours of all sizes fit.
      const q = Math.hypot((i - centroid[0]) / extent[0], (j - centroid[1]) / extent[1], (k - centroid[2]) / extent[2]);
      if (q < 0.6) centre = [i, j, k];
    }
    const lesion = sampleLesion(rng, centre);
    const reach = lesionReach(lesion, s);
    const membership: LesionMembership = { oedema: 0, enhancing: 0, necrosis: 0 };
    for (let n = 0; n < voxels.count; n++) {
      const [i, j, k] = voxels.position(n, nx, ny);
      const dx = (i - centre[0]) * s, dy = (j - centre[1]) * s, dz = (k - centre[2]) * s;
      if (dx * dx + dy * dy + dz * dz > reach * reach) continue;
      lesionMembership(lesion, dx, dy, dz, s, membership);
      if (membership.oedema === 0) continue;
      // The lesion displaces normal tissue in proportion, keeping the voxel's tissue content (its partial volume at the brain edge).
      const tissue = voxels.csf[n] + voxels.gm[n] + voxels.wm[n];
      const normal = 1 - membership.oedema;
      voxels.csf[n] *= normal;
      voxels.gm[n] *= normal;
      voxels.wm[n] *= normal;
      voxels.necrosis[n] = membership.necrosis * tissue;
      voxels.enhancing[n] = (membership.enhancing - membership.necrosis) * tissue;
      voxels.oedema[n] = (membership.oedema - membership.enhancing) * tissue;
      voxels.label[n] = membership.necrosis >= 0.5 ? 1 : membership.enhancing >= 0.5 ? 4 : membership.oedema >= 0.5 ? 2 : 0;
    }
    return lesion;
  }

  /** Three smooth random fields (relative variation of PD, T1, T2) at the 3 mm scale, one value per brain voxel. */
  private sampleTexture(rng: Random): Float32Array {
    const lattice = coarseGrid(this.grid.shape, this.textureStep, 3);
    fillSmoothNoise(lattice, rng, 1);
    const voxels = this.voxels;
    const out = new Float32Array(voxels.count * 3);
    const [nx, ny] = this.grid.shape;
    const [na, nb] = lattice.nodes;
    const T = lattice.step, L = lattice.data;
    for (let n = 0; n < voxels.count; n++) {
      const [i, j, k] = voxels.position(n, nx, ny);
      const a = Math.floor(i / T), b = Math.floor(j / T), c = Math.floor(k / T);
      const fa = i / T - a, fb = j / T - b, fc = k / T - c;
      const p = (a + na * (b + nb * c)) * 3, sa = 3, sb = na * 3, sc = na * nb * 3;
      for (let ch = 0; ch < 3; ch++) {
        const q = p + ch;
        const x00 = L[q] + fa * (L[q + sa] - L[q]);
        const x10 = L[q + sb] + fa * (L[q + sb + sa] - L[q + sb]);
        const x01 = L[q + sc] + fa * (L[q + sc + sa] - L[q + sc]);
        const x11 = L[q + sc + sb] + fa * (L[q + sc + sb + sa] - L[q + sc + sb]);
        const y0 = x00 + fb * (x10 - x00), y1 = x01 + fb * (x11 - x01);
        out[n * 3 + ch] = y0 + fc * (y1 - y0);
      }
    }
    return out;
  }

  /**
   * Step 4. Each voxel's signal is Σ_t f_t·S(T1_t, T2_t, PD_t) over the tissues present, with the tissue's
   * parameters modulated by the texture (log-normally, so they stay positive). T1ce repeats T1w with the
   * enhancing rim's T1 shortened by gadolinium (1/T1' = 1/T1 + r1·C); nothing else changes, so it equals T1w
   * outside the rim. Returns each contrast's noise-free signal per brain voxel.
   */
  private synthesise(
    weightings: readonly Weighting[], sequences: Record<Weighting, Sequence>, relaxation: TissueRelaxation,
    texture: Float32Array, field: FieldStrength, gadolinium: number | undefined,
  ): Partial<Record<Contrast, Float32Array>> {
    const voxels = this.voxels;
    const W = weightings.length;
    const fractions = [voxels.csf, voxels.gm, voxels.wm, voxels.necrosis, voxels.enhancing, voxels.oedema];
    // Flat copies of the parameters keep property look-ups out of the loop over a million voxels.
    const pd = Float64Array.from(TISSUES, (t) => relaxation[t].pd);
    const r1 = Float64Array.from(TISSUES, (t) => 1 / relaxation[t].t1);
    const r2 = Float64Array.from(TISSUES, (t) => 1 / relaxation[t].t2);
    const amplitude = Float64Array.from(TISSUES, (t) => TEXTURE[t]);
    const seq = weightings.map((w) => sequences[w]);
    const tr = Float64Array.from(seq, (q) => q.tr), te = Float64Array.from(seq, (q) => q.te);
    const ti = Float64Array.from(seq, (q) => (q.kind === 'inversion-recovery' ? q.ti : 0));
    const inversion = seq.map((q) => q.kind === 'inversion-recovery');
    const enhancing = TISSUES.indexOf('enhancing');
    const t1 = weightings.indexOf('t1');
    const withContrastAgent = gadolinium !== undefined;
    // r1·C in 1/ms (r1 in 1/(mM·s), C in mM).
    const gadoliniumRate = withContrastAgent ? (GADOLINIUM_R1[field] * gadolinium) / 1000 : 0;
    const out = weightings.map(() => new Float32Array(voxels.count));
    const enhanced = withContrastAgent ? new Float32Array(voxels.count) : undefined;
    const sums = new Float64Array(W);
    // Local bindings: module bindings may be reached through accessors, which the hot loop should not pay for.
    const spinEcho = spinEchoSignal, inversionRecovery = inversionRecoverySignal;
    for (let n = 0; n < voxels.count; n++) {
      sums.fill(0);
      let enhancement = 0;
      const tauPd = texture[n * 3], tauT1 = texture[n * 3 + 1], tauT2 = texture[n * 3 + 2];
      for (let t = 0; t < fractions.length; t++) {
        const f = fractions[t][n];
        if (f === 0) continue;
        const a = amplitude[t];
        const p = pd[t] * Math.exp(a * tauPd), q1 = r1[t] * Math.exp(-a * tauT1), q2 = r2[t] * Math.exp(-a * tauT2);
        for (let w = 0; w < W; w++) {
          sums[w] += f * (inversion[w]
            ? inversionRecovery(p, q1, q2, tr[w], te[w], ti[w])
            : spinEcho(p, q1, q2, tr[w], te[w]));
        }
        if (t === enhancing && withContrastAgent) {
          enhancement = f * (spinEcho(p, q1 + gadoliniumRate, q2, tr[t1], te[t1]) - spinEcho(p, q1, q2, tr[t1], te[t1]));
        }
      }
      for (let w = 0; w < W; w++) out[w][n] = sums[w];
      if (enhanced) enhanced[n] = sums[t1] + enhancement;
    }
    const signals: Partial<Record<Contrast, Float32Array>> = {};
    weightings.forEach((w, i) => { signals[w] = out[i]; });
    if (enhanced) signals.t1ce = enhanced;
    return signals;
  }

  /**
   * The stored image: signal × bias field × gain, Rician noise when σ > 0, rounded to the integers an int16
   * file holds. Brain voxels only: the background stays exactly 0, as in skull-stripped data. Rician noise is
   * the magnitude of the complex signal with independent Gaussian noise of sd σ in the real and imaginary
   * channels, |S + n_re + i·n_im| (Gudbjartsson & Patz, MRM 1995).
   */
  private finish(signal: Float32Array, biasChannel: number, gain: number, sigma: number, rng: Random): Volume {
    const voxels = this.voxels;
    const data = new Float32Array(voxelCount(this.grid.shape));
    const bias = voxels.bias.subarray(biasChannel * voxels.capacity, biasChannel * voxels.capacity + voxels.count);
    if (sigma > 0) {
      if (this.normals.length < 2 * voxels.count) this.normals = new Float32Array(2 * voxels.capacity);
      rng.fillNormal(this.normals.subarray(0, 2 * voxels.count));
    }
    const z = this.normals;
    for (let n = 0; n < voxels.count; n++) {
      let value = gain * bias[n] * signal[n];
      if (sigma > 0) {
        const re = value + sigma * z[2 * n], im = sigma * z[2 * n + 1];
        value = Math.sqrt(re * re + im * im);
      }
      data[voxels.index[n]] = Math.min(32767, Math.round(value));
    }
    return { data, shape: this.grid.shape, affine: this.grid.affine };
  }

  private labelMap(): Volume {
    const data = new Float32Array(voxelCount(this.grid.shape));
    const voxels = this.voxels;
    for (let n = 0; n < voxels.count; n++) data[voxels.index[n]] = voxels.label[n];
    return { data, shape: this.grid.shape, affine: this.grid.affine };
  }

  private fractionVolumes(): Record<'csf' | 'gm' | 'wm', Volume> {
    const voxels = this.voxels;
    const volume = (values: Float32Array): Volume => {
      const data = new Float32Array(voxelCount(this.grid.shape));
      for (let n = 0; n < voxels.count; n++) data[voxels.index[n]] = values[n];
      return { data, shape: this.grid.shape, affine: this.grid.affine };
    };
    return { csf: volume(voxels.csf), gm: volume(voxels.gm), wm: volume(voxels.wm) };
  }
}

/**
 * A small random similarity-plus-shear about the template centre, as world→world map: rotations up to ±5°
 * about each axis, per-axis scale 0.93–1.07 (head size), translation ±3 mm.
 */
function randomGlobalAffine(rng: Random, centre: readonly number[]): Float64Array {
  const angle = () => (rng.uniform(-5, 5) * Math.PI) / 180;
  const [ax, ay, az] = [angle(), angle(), angle()];
  const rx = [1, 0, 0, 0, Math.cos(ax), -Math.sin(ax), 0, Math.sin(ax), Math.cos(ax)];
  const ry = [Math.cos(ay), 0, Math.sin(ay), 0, 1, 0, -Math.sin(ay), 0, Math.cos(ay)];
  const rz = [Math.cos(az), -Math.sin(az), 0, Math.sin(az), Math.cos(az), 0, 0, 0, 1];
  const mul = (p: number[], q: number[]) => [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => p[r * 3] * q[c] + p[r * 3 + 1] * q[3 + c] + p[r * 3 + 2] * q[6 + c]));
  const rotation = mul(rz, mul(ry, rx));
  const scale = [rng.uniform(0.93, 1.07), rng.uniform(0.93, 1.07), rng.uniform(0.93, 1.07)];
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    let shift = centre[r] + rng.uniform(-3, 3);
    for (let c = 0; c < 3; c++) {
      out[r * 4 + c] = rotation[r * 3 + c] * scale[c];
      shift -= out[r * 4 + c] * centre[c];
    }
    out[r * 4 + 3] = shift;
  }
  out[15] = 1;
  return out;
}

/** The template labels with one voxel of background around them, so trilinear reads never leave the array. */
function padLabels(anatomy: Anatomy): Uint8Array {
  const [sx, sy, sz] = anatomy.shape;
  const px = sx + 2, pxy = (sx + 2) * (sy + 2);
  const out = new Uint8Array(pxy * (sz + 2));
  for (let k = 0; k < sz; k++) {
    for (let j = 0; j < sy; j++) {
      out.set(anatomy.labels.subarray(sx * (j + sy * k), sx * (j + sy * k) + sx), 1 + px * (j + 1) + pxy * (k + 1));
    }
  }
  return out;
}

/**
 * The brain voxels of the case being generated, as a structure of arrays: grid index, tissue fractions,
 * bias per weighting and the tumour compartments. Grown geometrically, kept between cases.
 */
class BrainVoxels {
  count = 0;
  capacity = 0;
  biasChannels = 0;
  index = new Int32Array(0);
  csf = new Float32Array(0);
  gm = new Float32Array(0);
  wm = new Float32Array(0);
  necrosis = new Float32Array(0);
  enhancing = new Float32Array(0);
  oedema = new Float32Array(0);
  label = new Uint8Array(0);
  /** Channel-major: bias of weighting w at voxel n is bias[w·capacity + n]. */
  bias = new Float32Array(0);

  reset(biasChannels: number): void {
    this.count = 0;
    if (biasChannels !== this.biasChannels) {
      this.biasChannels = biasChannels;
      this.bias = new Float32Array(this.capacity * biasChannels);
    }
  }

  push(index: number, csf: number, gm: number, wm: number): number {
    if (this.count === this.capacity) this.grow();
    const n = this.count++;
    this.index[n] = index;
    this.csf[n] = csf;
    this.gm[n] = gm;
    this.wm[n] = wm;
    return n;
  }

  clearLesion(): void {
    this.necrosis.fill(0, 0, this.count);
    this.enhancing.fill(0, 0, this.count);
    this.oedema.fill(0, 0, this.count);
    this.label.fill(0, 0, this.count);
  }

  position(n: number, nx: number, ny: number): [number, number, number] {
    const v = this.index[n];
    const i = v % nx, rest = (v - i) / nx;
    const j = rest % ny;
    return [i, j, (rest - j) / ny];
  }

  centroid(nx: number, ny: number): [number, number, number] {
    const sum = [0, 0, 0];
    for (let n = 0; n < this.count; n++) {
      const p = this.position(n, nx, ny);
      sum[0] += p[0]; sum[1] += p[1]; sum[2] += p[2];
    }
    return [sum[0] / this.count, sum[1] / this.count, sum[2] / this.count];
  }

  /** Half-extent of the brain on each axis about `centre`: the largest distance of a brain voxel. */
  extent(nx: number, ny: number, centre: readonly number[]): [number, number, number] {
    const out: [number, number, number] = [1, 1, 1];
    for (let n = 0; n < this.count; n++) {
      const p = this.position(n, nx, ny);
      for (let a = 0; a < 3; a++) out[a] = Math.max(out[a], Math.abs(p[a] - centre[a]));
    }
    return out;
  }

  private grow(): void {
    const capacity = Math.max(65536, Math.ceil(this.capacity * 1.5));
    const copy = <T extends Int32Array | Float32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.count) as never);
      return next;
    };
    this.index = copy(this.index, (n) => new Int32Array(n));
    this.csf = copy(this.csf, (n) => new Float32Array(n));
    this.gm = copy(this.gm, (n) => new Float32Array(n));
    this.wm = copy(this.wm, (n) => new Float32Array(n));
    this.necrosis = new Float32Array(capacity);
    this.enhancing = new Float32Array(capacity);
    this.oedema = new Float32Array(capacity);
    this.label = new Uint8Array(capacity);
    const bias = new Float32Array(capacity * this.biasChannels);
    for (let ch = 0; ch < this.biasChannels; ch++) {
      bias.set(this.bias.subarray(ch * this.capacity, ch * this.capacity + this.count), ch * capacity);
    }
    this.bias = bias;
    this.capacity = capacity;
  }
}
