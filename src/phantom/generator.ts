import { assert } from '../util/index.js';
import { multiplyAffine } from '../volume/index.js';
import { voxelCount, type Volume } from '../volume/index.js';
import type { Contrast } from '../data/index.js';
import { brainVoxelsInBox, stripExtracerebralCsf, type Anatomy } from './anatomy.js';
import type { PhantomGrid } from './grid.js';
import { lesionMembership, lesionReach, sampleLesion, type Lesion, type LesionMembership } from './lesion.js';
import { Random } from './random.js';
import {
  GADOLINIUM_R1, sampleRelaxation, TISSUES, type FieldStrength, type Tissue, type TissueRelaxation,
} from './relaxation.js';
import {
  inversionRecoverySignal, sampleFieldStrength, sampleSequence, signal, spinEchoSignal, type Sequence, type Weighting,
} from './sequence.js';
import {
  coarseGrid, evaluatePlaneWaves, fillSmoothNoise, randomPlaneWaves, type CoarseGrid, type PlaneWaves,
} from './smoothField.js';

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
  /** Scanner gain per contrast: stored value = gain · bias · signal (T1ce: T1's, less its residual bias's brain mean). */
  readonly gain: Readonly<Partial<Record<Contrast, number>>>;
  /** Slice thickness per contrast, mm: the through-plane blur of the acquisition. */
  readonly sliceThickness: Readonly<Partial<Record<Contrast, number>>>;
  /** Rician noise σ per contrast, in stored units. */
  readonly noiseSigma: Readonly<Partial<Record<Contrast, number>>>;
  /** Gadolinium in the enhancing rim and in blood (BraTS style only). */
  readonly gadolinium?: ContrastAgent;
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
  /** Partial-volume fraction of each tissue and tumour compartment per voxel, when asked for; they sum to the brain's tissue content. */
  readonly fractions?: Readonly<Record<Tissue, Volume>>;
  readonly parameters: PhantomParameters;
}

export interface GenerateOptions {
  /** Add Rician noise; default true. Without it the case is the noise-free ground truth of the same phantom. */
  readonly noise?: boolean;
  /** Also return the tissue fractions; default false. */
  readonly fractions?: boolean;
  /**
   * BraTS style: 0 (default) is the case itself; k ≥ 1 redraws, from a stream of its own, everything only T1ce
   * shows (gadolinium in the rim and in blood, the blood-volume texture, T1ce's residual bias, noise level, slice
   * thickness and noise) and keeps every other draw, so T1, T2, FLAIR and the labels are those of draw 0. The
   * draws are samples of T1ce given every draw the other contrasts are made from: their spread is what no model of
   * those contrasts can predict.
   */
  readonly t1ceDraw?: number;
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
const TEXTURE_CHANNELS = 4;
/** The texture channel of blood volume, which only T1ce shows (see sampleTexture). */
const BLOOD_VOLUME_CHANNEL = 3;
const TISSUE_ENHANCING = TISSUES.indexOf('enhancing');

/**
 * Cerebral blood volume (fraction of the voxel): GM ≈ 4 %, WM ≈ 2 % (Leenders et al., Brain 1990). Intravascular
 * gadolinium enhances normal tissue slightly in proportion; the enhancing rim's leaked agent is drawn per case.
 */
const BLOOD_VOLUME: Readonly<Record<Tissue, number>> = {
  csf: 0, gm: 0.04, wm: 0.02, necrosis: 0, enhancing: 0, oedema: 0.02,
};
/** Relative variation of blood volume within a tissue. */
const BLOOD_VOLUME_TEXTURE = 0.3;

/** Gadolinium concentrations after injection, mM: leaked into the enhancing rim, and in blood plasma. */
export interface ContrastAgent {
  readonly rim: number;
  readonly blood: number;
}

/**
 * Generates multi-contrast brain phantoms on one grid from one template anatomy. It owns the working buffers,
 * reused from case to case; each generated case owns its volumes.
 *
 * Per case: (1) deform the anatomy by a random global affine plus a smooth displacement and resample its
 * one-hot tissue maps trilinearly, giving partial-volume tissue fractions per voxel; (2) BraTS style: grow a
 * lesion in white matter; (3) draw relaxation parameters, sequences, texture, bias and noise; (4) evaluate
 * the signal equations per tissue and mix them by fraction; (5) per contrast apply bias and gain, the slice
 * profile of thick 2D acquisitions, Rician noise, and round to int16. Only brain voxels are visited after
 * step 1. The template's extracerebral CSF is first trimmed to a 1 mm rim, as skull stripping leaves it.
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
    this.paddedLabels = padLabels(stripExtracerebralCsf(anatomy, 1));
    this.blockStep = Math.max(2, Math.round(8 / grid.spacing));
    this.textureStep = Math.max(1, Math.round(3 / grid.spacing));
  }

  generate(seed: number, index: number, style: PhantomStyle, options: GenerateOptions = {}): PhantomCase {
    assert(Number.isSafeInteger(seed) && seed >= 0, () => `PhantomGenerator.generate: seed must be a non-negative integer, got ${seed}`);
    assert(Number.isSafeInteger(index) && index >= 0, () => `PhantomGenerator.generate: index must be a non-negative integer, got ${index}`);
    assert((PHANTOM_STYLES as readonly string[]).includes(style), () =>
      `PhantomGenerator.generate: style must be one of ${PHANTOM_STYLES.join(', ')}, got '${style}'`);
    const t1ceDraw = options.t1ceDraw ?? 0;
    assert(Number.isSafeInteger(t1ceDraw) && t1ceDraw >= 0, () =>
      `PhantomGenerator.generate: t1ceDraw must be a non-negative integer, got ${t1ceDraw}`);
    assert(t1ceDraw === 0 || style === 'brats', () =>
      `PhantomGenerator.generate: t1ceDraw ${t1ceDraw} redraws T1ce, which only BraTS-style cases have; this case is '${style}'`);
    const styleCode = PHANTOM_STYLES.indexOf(style);
    // Two streams per case, so that the noise-free case is exactly the noisy one without its noise.
    const rng = new Random(seed, index, styleCode, 0);
    const noiseRng = new Random(seed, index, styleCode, 1);
    // A redraw takes T1ce's own variables from stream 1 + k; the main streams still make every draw of the case,
    // so the other contrasts come out the same.
    const t1ceRng = t1ceDraw === 0 ? undefined : new Random(seed, index, styleCode, 1 + t1ceDraw);
    const weightings = STYLE_WEIGHTINGS[style];

    const contrasts = STYLE_CONTRASTS[style];
    this.resampleAnatomy(rng, contrasts, t1ceRng);
    const voxels = this.voxels;
    voxels.clearLesion();
    const lesion = style === 'brats' ? this.growLesion(rng) : undefined;
    const texture = this.sampleTexture(rng);
    if (t1ceRng) {
      const redrawn = this.sampleTexture(t1ceRng);
      for (let n = BLOOD_VOLUME_CHANNEL; n < texture.length; n += TEXTURE_CHANNELS) texture[n] = redrawn[n];
    }

    const field = sampleFieldStrength(rng);
    const relaxation = sampleRelaxation(rng, field);
    const sequences: Partial<Record<Weighting, Sequence>> = {};
    for (const w of weightings) sequences[w] = sampleSequence(rng, w, relaxation.csf.t1);
    const drawAgent = (r: Random): ContrastAgent => ({ rim: r.uniform(0.15, 0.5), blood: r.uniform(0.1, 0.25) });
    let gadolinium = style === 'brats' ? drawAgent(rng) : undefined;
    if (t1ceRng) gadolinium = drawAgent(t1ceRng);

    const gain: Partial<Record<Contrast, number>> = {};
    const noiseSigma: Partial<Record<Contrast, number>> = {};
    for (const w of weightings) {
      // The brightest normal tissue lands at a scanner-like value of a few hundred to a few thousand, and the
      // noise σ follows from an SNR of brain parenchyma (mean of GM and WM) typical of clinical scans.
      const brightest = Math.max(...(['csf', 'gm', 'wm'] as const).map((t) => signal(sequences[w]!, relaxation[t])));
      const parenchyma = (signal(sequences[w]!, relaxation.gm) + signal(sequences[w]!, relaxation.wm)) / 2;
      gain[w] = rng.uniform(400, 2500) / brightest;
      noiseSigma[w] = (gain[w]! * parenchyma) / rng.uniform(15, 35);
    }
    if (style === 'brats') {
      // Same gain as T1w, corrected for the brain-mean of T1ce's residual bias so the two agree on average.
      gain.t1ce = gain.t1! / this.voxels.meanBiasRatio(contrasts.indexOf('t1ce'), contrasts.indexOf('t1'));
      const noiseRatio = rng.uniform(0.8, 1.25);
      noiseSigma.t1ce = noiseSigma.t1! * (t1ceRng ? t1ceRng.uniform(0.8, 1.25) : noiseRatio);
    }

    const sliceThickness: Partial<Record<Contrast, number>> = {};
    for (const c of contrasts) {
      sliceThickness[c] = sampleSliceThickness(rng, style, c);
      if (c === 't1ce' && t1ceRng) sliceThickness[c] = sampleSliceThickness(t1ceRng, style, c);
    }

    const signals = this.synthesise(weightings, sequences as Record<Weighting, Sequence>, relaxation, texture, field, gadolinium);
    const out: Partial<Record<Contrast, Volume>> = {};
    contrasts.forEach((c, channel) => {
      const width = sliceThickness[c]! / this.grid.spacing;
      const sigma = (options.noise ?? true) ? noiseSigma[c]! : 0;
      if (c === 't1ce' && t1ceRng) {
        // Draw 0's T1ce noise is still taken from the noise stream (and discarded), so the contrasts after it keep theirs.
        if (sigma > 0) noiseRng.fillNormal(new Float32Array(2 * voxels.count));
        out[c] = this.finish(signals[c]!, channel, gain[c]!, width, sigma, t1ceRng);
      } else {
        out[c] = this.finish(signals[c]!, channel, gain[c]!, width, sigma, noiseRng);
      }
    });

    return {
      id: phantomCaseId(style, seed, index), style, seed, index, contrasts: out,
      seg: lesion ? this.labelMap() : undefined,
      fractions: options.fractions ? this.fractionVolumes() : undefined,
      parameters: { field, relaxation, sequences, gain, noiseSigma, sliceThickness, gadolinium, lesion },
    };
  }

  /**
   * Step 1. Output voxel v maps to world x = A_out·v, through the random deformation to x' = G(x) + d(x), and
   * to the template's continuous index u = A_src⁻¹·x'. u is computed at the coarse nodes only; inside a block of
   * nodes it is their trilinear interpolation, i.e. the displacement is a trilinear spline (smooth at the 8 mm
   * scale of its nodes). A block whose corners' bounding box holds no brain voxel of the template is skipped
   * whole, which leaves out most of the background. The bias fields share the lattice.
   */
  private resampleAnatomy(rng: Random, contrasts: readonly Contrast[], t1ceRng: Random | undefined): void {
    const { anatomy, grid } = this;
    const B = this.blockStep;
    const biasChannels = contrasts.length;
    const lattice = coarseGrid(grid.shape, B, 3 + biasChannels);
    const toSource = multiplyAffine(anatomy.worldToVoxel, randomGlobalAffine(rng, anatomy.centre));
    const displacement = [0, 1, 2].map(() => randomPlaneWaves(rng, 4, 60, 160, rng.uniform(1.5, 3)));
    // Receive-coil sensitivity varies over tens of centimetres: ±10–25 % over the brain, one field per
    // acquisition. T1ce is a separate acquisition in the same session: T1w's field times a small residual.
    const biasOf: Partial<Record<Contrast, PlaneWaves[]>> = {};
    for (const c of contrasts) if (c !== 't1ce') biasOf[c] = [randomPlaneWaves(rng, 3, 200, 500, rng.uniform(0.06, 0.14))];
    if (biasOf.t1) {
      const residual = randomPlaneWaves(rng, 3, 100, 300, 0.05);
      biasOf.t1ce = [...biasOf.t1, t1ceRng ? randomPlaneWaves(t1ceRng, 3, 100, 300, 0.05) : residual];
    }
    const biasFields = contrasts.map((c) => biasOf[c]!);
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
          for (let ch = 0; ch < biasChannels; ch++) {
            let logBias = 0;
            for (const waves of biasFields[ch]) logBias += evaluatePlaneWaves(waves, x, y, z);
            L[at + 3 + ch] = Math.exp(logBias);
          }
        }
      }
    }
    this.voxels.reset(biasChannels, voxelCount(grid.shape));
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
    this.voxels.findColumns(nx * ny);
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

  /**
   * Four smooth random fields at the 3 mm scale, one value of each per brain voxel (interleaved): the relative
   * variation of PD, T1 and T2 within a tissue, and of its blood volume.
   */
  private sampleTexture(rng: Random): Float32Array {
    const lattice = coarseGrid(this.grid.shape, this.textureStep, TEXTURE_CHANNELS);
    fillSmoothNoise(lattice, rng, 1);
    const voxels = this.voxels;
    const C = TEXTURE_CHANNELS;
    const out = new Float32Array(voxels.count * C);
    const [nx, ny] = this.grid.shape;
    const [na, nb] = lattice.nodes;
    const T = lattice.step, L = lattice.data;
    for (let n = 0; n < voxels.count; n++) {
      const [i, j, k] = voxels.position(n, nx, ny);
      const a = Math.floor(i / T), b = Math.floor(j / T), c = Math.floor(k / T);
      const fa = i / T - a, fb = j / T - b, fc = k / T - c;
      const p = (a + na * (b + nb * c)) * C, sa = C, sb = na * C, sc = na * nb * C;
      for (let ch = 0; ch < C; ch++) {
        const q = p + ch;
        const x00 = L[q] + fa * (L[q + sa] - L[q]);
        const x10 = L[q + sb] + fa * (L[q + sb + sa] - L[q + sb]);
        const x01 = L[q + sc] + fa * (L[q + sc + sa] - L[q + sc]);
        const x11 = L[q + sc + sb] + fa * (L[q + sc + sb + sa] - L[q + sc + sb]);
        const y0 = x00 + fb * (x10 - x00), y1 = x01 + fb * (x11 - x01);
        out[n * C + ch] = y0 + fc * (y1 - y0);
      }
    }
    return out;
  }

  /**
   * Step 4. Each voxel's signal is Σ_t f_t·S(T1_t, T2_t, PD_t) over the tissues present, with the tissue's
   * parameters modulated by the texture (multiplicatively, see expSecondOrder). T1ce repeats T1w with every
   * tissue's T1 shortened by its gadolinium concentration C, 1/T1' = 1/T1 + r1·C: the leaked agent in the
   * enhancing rim (strong), blood volume × plasma concentration elsewhere (a few per cent brighter at most);
   * necrosis and CSF hold none. Returns each contrast's noise-free signal per brain voxel.
   */
  private synthesise(
    weightings: readonly Weighting[], sequences: Record<Weighting, Sequence>, relaxation: TissueRelaxation,
    texture: Float32Array, field: FieldStrength, agent: ContrastAgent | undefined,
  ): Partial<Record<Contrast, Float32Array>> {
    const voxels = this.voxels;
    const W = weightings.length;
    const fractions = [voxels.csf, voxels.gm, voxels.wm, voxels.necrosis, voxels.enhancing, voxels.oedema];
    // Flat copies of the parameters keep property look-ups out of the loop over a million voxels.
    const pd = Float64Array.from(TISSUES, (t) => relaxation[t].pd);
    const r1 = Float64Array.from(TISSUES, (t) => 1 / relaxation[t].t1);
    const r2 = Float64Array.from(TISSUES, (t) => 1 / relaxation[t].t2);
    const amplitude = Float64Array.from(TISSUES, (t) => TEXTURE[t]);
    // Gadolinium's relaxation rate r1·C per tissue in 1/ms (r1 in 1/(mM·s), C in mM).
    const relaxivity = GADOLINIUM_R1[field] / 1000;
    const agentRate = Float64Array.from(TISSUES, (t) =>
      agent === undefined ? 0 : relaxivity * (t === 'enhancing' ? agent.rim : BLOOD_VOLUME[t] * agent.blood));
    const seq = weightings.map((w) => sequences[w]);
    const tr = Float64Array.from(seq, (q) => q.tr), te = Float64Array.from(seq, (q) => q.te);
    const ti = Float64Array.from(seq, (q) => (q.kind === 'inversion-recovery' ? q.ti : 0));
    const inversion = seq.map((q) => q.kind === 'inversion-recovery');
    const t1 = weightings.indexOf('t1');
    const out = weightings.map(() => new Float32Array(voxels.count));
    const enhanced = agent ? new Float32Array(voxels.count) : undefined;
    const sums = new Float64Array(W);
    const C = TEXTURE_CHANNELS;
    // Local bindings: module bindings may be reached through accessors, which the hot loop should not pay for.
    const spinEcho = spinEchoSignal, inversionRecovery = inversionRecoverySignal;
    for (let n = 0; n < voxels.count; n++) {
      sums.fill(0);
      let enhancedSum = 0;
      const tauPd = texture[n * C], tauT1 = texture[n * C + 1], tauT2 = texture[n * C + 2];
      const bloodVolume = expSecondOrder(BLOOD_VOLUME_TEXTURE * texture[n * C + BLOOD_VOLUME_CHANNEL]);
      for (let t = 0; t < fractions.length; t++) {
        const f = fractions[t][n];
        if (f === 0) continue;
        const a = amplitude[t];
        const p = pd[t] * expSecondOrder(a * tauPd), q1 = r1[t] * expSecondOrder(-a * tauT1), q2 = r2[t] * expSecondOrder(-a * tauT2);
        for (let w = 0; w < W; w++) {
          sums[w] += f * (inversion[w]
            ? inversionRecovery(p, q1, q2, tr[w], te[w], ti[w])
            : spinEcho(p, q1, q2, tr[w], te[w]));
        }
        if (enhanced) {
          const rate = t === TISSUE_ENHANCING ? agentRate[t] : agentRate[t] * bloodVolume;
          enhancedSum += f * spinEcho(p, q1 + rate, q2, tr[t1], te[t1]);
        }
      }
      for (let w = 0; w < W; w++) out[w][n] = sums[w];
      if (enhanced) enhanced[n] = enhancedSum;
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
  private finish(signal: Float32Array, biasChannel: number, gain: number, sliceWidth: number, sigma: number, rng: Random): Volume {
    const voxels = this.voxels;
    const { index, count } = voxels;
    const data = new Float32Array(voxelCount(this.grid.shape));
    const bias = voxels.bias.subarray(biasChannel * voxels.capacity, biasChannel * voxels.capacity + count);
    for (let n = 0; n < count; n++) data[index[n]] = gain * bias[n] * signal[n];
    if (sliceWidth > 1) this.sliceProfile(data, sliceWidth);
    if (sigma > 0) {
      if (this.normals.length < 2 * count) this.normals = new Float32Array(2 * voxels.capacity);
      rng.fillNormal(this.normals.subarray(0, 2 * count));
    }
    const z = this.normals;
    for (let n = 0; n < count; n++) {
      const v = index[n];
      let value = data[v];
      if (sigma > 0) {
        const re = value + sigma * z[2 * n], im = sigma * z[2 * n + 1];
        value = Math.sqrt(re * re + im * im);
      }
      data[v] = Math.min(32767, Math.round(value));
    }
    return { data, shape: this.grid.shape, affine: this.grid.affine };
  }

  /**
   * A 2D acquisition's slice profile: each voxel averages the slab `width` voxels thick around it along k (the
   * axial slice direction), a box with fractional ends, w(d) = clamp(width/2 + ½ − |d|, 0, 1). This is the
   * through-plane partial-volume blur of thick-slice clinical scans resampled to a fine grid. Only brain
   * columns are filtered; voxels outside the brain stay 0.
   */
  private sliceProfile(data: Float32Array, width: number): void {
    const [nx, ny, nz] = this.grid.shape;
    const nxy = nx * ny;
    const radius = Math.ceil(width / 2 - 0.5);
    const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, t) => Math.min(1, Math.max(0, width / 2 + 0.5 - Math.abs(t - radius))));
    const total = kernel.reduce((sum, w) => sum + w, 0);
    for (let t = 0; t < kernel.length; t++) kernel[t] /= total;
    const column = new Float64Array(nz);
    const mask = this.voxels.mask;
    const columns = this.voxels.columns;
    for (let c = 0; c < columns.length; c++) {
      const base = columns[c];
      for (let k = 0; k < nz; k++) column[k] = data[base + k * nxy];
      for (let k = 0; k < nz; k++) {
        const at = base + k * nxy;
        if (!mask[at]) continue;
        let sum = 0;
        for (let t = -radius; t <= radius; t++) {
          const q = k + t;
          if (q >= 0 && q < nz) sum += kernel[t + radius] * column[q];
        }
        data[at] = sum;
      }
    }
  }

  private labelMap(): Volume {
    const data = new Float32Array(voxelCount(this.grid.shape));
    const voxels = this.voxels;
    for (let n = 0; n < voxels.count; n++) data[voxels.index[n]] = voxels.label[n];
    return { data, shape: this.grid.shape, affine: this.grid.affine };
  }

  private fractionVolumes(): Record<Tissue, Volume> {
    const voxels = this.voxels;
    const volume = (values: Float32Array): Volume => {
      const data = new Float32Array(voxelCount(this.grid.shape));
      for (let n = 0; n < voxels.count; n++) data[voxels.index[n]] = values[n];
      return { data, shape: this.grid.shape, affine: this.grid.affine };
    };
    return {
      csf: volume(voxels.csf), gm: volume(voxels.gm), wm: volume(voxels.wm),
      necrosis: volume(voxels.necrosis), enhancing: volume(voxels.enhancing), oedema: volume(voxels.oedema),
    };
  }

}

/**
 * 1 + x + x²/2, the exponential's second-order expansion: the multiplicative texture factor e^x for the small
 * x used here (|x| ≲ 0.5, where it is within 3 % of e^x), never below ½ so parameters stay positive, and
 * without the cost of Math.exp in the loop over every tissue of every brain voxel.
 */
function expSecondOrder(x: number): number {
  return 1 + x + 0.5 * x * x;
}

/**
 * Slice thickness of one acquisition, mm. BraTS collects clinical glioma protocols: T2 and FLAIR mostly 2D
 * with 2.5–5.5 mm slices, native T1 often 2D as well, post-contrast T1 mostly 3D (about 1 mm). IXI's scans are
 * near-isotropic (0.9–1.2 mm).
 */
function sampleSliceThickness(rng: Random, style: PhantomStyle, contrast: Contrast): number {
  if (style === 'ixi') return rng.uniform(0.9, 1.2);
  const twoD = { t1: 0.7, t1ce: 0.25, t2: 0.85, flair: 0.85, pd: 0.85 }[contrast];
  return rng.next() < twoD ? rng.uniform(2.5, 5.5) : 1;
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
  /** Grid-sized brain mask and the (i + nx·j) columns that hold any brain voxel. */
  mask = new Uint8Array(0);
  columns = new Int32Array(0);
  /** Channel-major: bias of weighting w at voxel n is bias[w·capacity + n]. */
  bias = new Float32Array(0);

  reset(biasChannels: number, gridVoxels: number): void {
    this.count = 0;
    if (this.mask.length !== gridVoxels) this.mask = new Uint8Array(gridVoxels);
    else this.mask.fill(0);
    if (biasChannels !== this.biasChannels) {
      this.biasChannels = biasChannels;
      this.bias = new Float32Array(this.capacity * biasChannels);
    }
  }

  push(index: number, csf: number, gm: number, wm: number): number {
    if (this.count === this.capacity) this.grow();
    const n = this.count++;
    this.index[n] = index;
    this.mask[index] = 1;
    this.csf[n] = csf;
    this.gm[n] = gm;
    this.wm[n] = wm;
    return n;
  }

  /** Records the columns that hold brain voxels, once all are pushed. */
  findColumns(nxy: number): void {
    const seen = new Uint8Array(nxy);
    for (let n = 0; n < this.count; n++) seen[this.index[n] % nxy] = 1;
    const columns: number[] = [];
    for (let c = 0; c < nxy; c++) if (seen[c]) columns.push(c);
    this.columns = Int32Array.from(columns);
  }

  /** Brain-mean of bias channel `a` over bias channel `b`. */
  meanBiasRatio(a: number, b: number): number {
    let sum = 0;
    for (let n = 0; n < this.count; n++) sum += this.bias[a * this.capacity + n] / this.bias[b * this.capacity + n];
    return sum / this.count;
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
