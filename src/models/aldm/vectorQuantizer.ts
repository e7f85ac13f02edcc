/**
 * `VectorQuantizer`: the reference's `VectorQuantizer2` (taming/modules/vqvae/quantize.py; spec §2.2) without
 * remapping: each latent voxel's channel vector is replaced by its nearest codebook entry, with the
 * straight-through gradient and taming's loss. Key `embedding.weight` [nEmbed, zChannels], as the reference's
 * `quantize.embedding.weight`.
 */
import { F, Tensor, noGrad, tidy } from '../../tensor/index.js';
import { Embedding, Module } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';

/**
 * Distances computed at once in the nearest-code search, by default: 4 Mi floats (16 MB, 512 rows of the code's
 * 8192 codes). The whole matrix at the code's 36×48×36 latent would be 62,208 × 8,192 floats, 2.04 GB. Blocks
 * this small are also faster than large ones: the allocator reuses their memory instead of mapping fresh pages
 * for each (the code's latent on one thread of a loaded 2-core machine: ≈ 5 s at 512 rows, 6.5 s at 4096).
 */
export const SEARCH_BLOCK_ELEMENTS = 2 ** 22;

export interface VectorQuantizerOptions {
  /** Weight of the second loss term (the reference's `beta`). */
  beta: number;
  /** taming's legacy loss (the reference's): β weights the codebook term instead of the commitment term. */
  legacyLoss: boolean;
}

export interface Quantized {
  /**
   * The nearest codes in the input's layout (N, C, X, Y, Z), computed as z + sg[z_q − z] whether or not
   * gradients are on: its values are the codes up to float32 rounding (the reference's, exactly), and its
   * gradient flows to z unchanged.
   */
  zQ: Tensor;
  /** 0-d: mean‖sg[z_q] − z‖² + β·mean‖z_q − sg[z]‖² (legacy), or with the terms' weights swapped. */
  loss: Tensor;
  /** int64 (N·X·Y·Z,): the chosen code of each voxel, flattened in (n, x, y, z) order as the reference's. */
  indices: Tensor;
}

export class VectorQuantizer extends Module {
  readonly beta: number;
  readonly legacyLoss: boolean;
  readonly #embedding: Embedding;

  /** Draws the codebook as the reference does: N(0, 1) (nn.Embedding's init), then overwritten by U(−1/n, 1/n). */
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: VectorQuantizerOptions) {
    super();
    this.beta = options.beta;
    this.legacyLoss = options.legacyLoss;
    this.#embedding = this.registerModule('embedding', new Embedding(numEmbeddings, embeddingDim));
    noGrad(() => this.#embedding.weight.uniform_(-1 / numEmbeddings, 1 / numEmbeddings));
  }

  get codebook(): Tensor {
    return this.#embedding.weight;
  }

  /**
   * The nearest code of each row of `flat` (M, C) by squared distance, ties to the lowest index, searched
   * `rows` rows at a time (default: SEARCH_BLOCK_ELEMENTS distances at a time). The distance is the reference's
   * expansion (‖z‖² + ‖e‖²) − 2 z·e, rounded step by step as there, not a direct difference, so that near-ties
   * resolve as they do there. A bfloat16 or float16 model searches in float32: the expansion cancels ‖z‖² against
   * 2 z·e, and at bfloat16's 2^-8 of ‖z‖² the codes' distances tie (at the codebook's initial scale of 1/8192 every
   * voxel took code 0), which collapsed a bf16 run's codebook use to a third of an fp32 run's.
   */
  nearestCodes(flat: Tensor, rows = Math.max(1, Math.floor(SEARCH_BLOCK_ELEMENTS / this.numEmbeddings))): Tensor {
    assert(Number.isInteger(rows) && rows > 0, () => `VectorQuantizer.nearestCodes: rows must be a positive integer, got ${rows}`);
    assert(flat.ndim === 2 && flat.shape[1] === this.embeddingDim,
      () => `VectorQuantizer.nearestCodes: expected (M, ${this.embeddingDim}), got shape ${fmtShape(flat.shape)}`);
    return noGrad(() => tidy('VectorQuantizer.nearestCodes', () => {
      const searched = (t: Tensor) => (t.dtype === 'bfloat16' || t.dtype === 'float16' ? t.float() : t);
      const codes = searched(this.codebook);
      const codeNorms = codes.pow(2).sum(1);
      const codesT = codes.transpose(0, 1);
      const parts: Tensor[] = [];
      for (let start = 0; start < flat.shape[0]; start += rows) {
        parts.push(tidy(() => {
          const z = searched(flat.narrow(0, start, Math.min(rows, flat.shape[0] - start)));
          // In place where the reference allocates: ×2 is exact, so the bits are the reference's.
          const distances = z.pow(2).sum(1, true).add(codeNorms);
          return distances.sub_(z.mm(codesT).mul_(2)).argmin(1);
        }));
      }
      return parts.length === 1 ? parts[0] : F.cat(parts, 0);
    }));
  }

  /** z (N, C, X, Y, Z), C = embeddingDim. */
  forward(z: Tensor, options: { searchRows?: number } = {}): Quantized {
    assert(z.ndim === 5 && z.shape[1] === this.embeddingDim,
      () => `VectorQuantizer.forward: z must be (N, ${this.embeddingDim}, X, Y, Z), got shape ${fmtShape(z.shape)}`);
    return tidy('VectorQuantizer.forward', () => {
      const zl = z.permute([0, 2, 3, 4, 1]).contiguous();
      const indices = this.nearestCodes(zl.view([-1, this.embeddingDim]), options.searchRows);
      const codes = this.#embedding.forward(indices).view(zl.shape);
      const commitment = codes.detach().sub(zl).pow(2).mean();
      const codebook = codes.sub(zl.detach()).pow(2).mean();
      const loss = this.legacyLoss ? commitment.add(codebook.mul(this.beta)) : commitment.mul(this.beta).add(codebook);
      const zQ = zl.add(codes.sub(zl).detach()).permute([0, 4, 1, 2, 3]).contiguous();
      return { zQ, loss, indices };
    });
  }
}
