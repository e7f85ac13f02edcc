/**
 * The precision the cWDM network runs in. Only the network: the diffusion maths around it (schedule tables,
 * noise draws, the reverse step, x̂₀ clipping, the training loss) stays in float32 whatever is chosen, because
 * bfloat16's 8 significant bits cannot hold √ᾱ_t-scaled noise or a 1e-5 learning-rate step faithfully.
 *
 *   fp32 — float32 throughout (the reference's);
 *   bf16 — the network's weights and activations in bfloat16: where the CPU has bfloat16 dot-product instructions
 *          conv3d runs faster (about 2.4× on this project's reference machine, a paper-network step about 0.5–0.7×
 *          the float32 time); elsewhere it can be slower.
 */
import type { DType } from '../tensor/index.js';
import { assert } from '../util/index.js';

export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The tensor dtype of the network's weights and activations for each precision. */
export const PRECISION_DTYPES: Readonly<Record<Precision, DType>> = Object.freeze({ fp32: 'float32', bf16: 'bfloat16' });

/** Checks a precision name (from a flag or a config file); `where` names the field in the message. */
export function parsePrecision(value: unknown, where: string): Precision {
  assert((PRECISIONS as readonly unknown[]).includes(value),
    () => `${where} must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Precision;
}
