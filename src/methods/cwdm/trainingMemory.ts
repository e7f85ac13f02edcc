/**
 * How much memory a cWDM training run needs, estimated before anything large is allocated (the refusal when the
 * machine does not have it is training's checkTrainingMemory).
 */
import { WAVELET_BANDS, type CwdmUNetConfig } from '../../models/wdm/index.js';
import type { Precision } from '../../nn/index.js';
import type { TrainingMemoryEstimate } from '../../training/index.js';
import type { Shape3 } from '../../volume/index.js';

export interface TrainingMemoryInput {
  readonly parameterCount: number;
  /** The model grid of one case in image space. */
  readonly imageShape: Shape3;
  readonly batchSize: number;
  /** float32 values of every cached case (all contrasts). */
  readonly cachedValues: number;
  /** Default fp32. */
  readonly precision?: Precision;
}

const FLOAT = 4;
/** Gradient, two AdamW moments, the EMA shadow and its swap-in backup: five more copies of the weights. */
const WEIGHT_COPIES = 5;
/** In bf16: the bfloat16 working copy and its gradients, 2 + 2 bytes per weight, one more float32 copy's worth. */
const BF16_WEIGHT_COPIES = 1;
/** Node (with tsx) and libtorch after loading, about 240 MiB measured, plus headroom for the heap and thread pools. */
const RUNTIME_BYTES = 0.5 * 2 ** 30;

/**
 * Floats autograd saves for one forward pass of the U-Net over `voxels` wavelet-domain voxels (summed over the
 * batch): per ResBlock half its input, norm and SiLU outputs; conv outputs, skip and sum. Against the peak RSS of
 * the reference PyTorch code less its weights, gradients and moments (spec §15, paper network: 2.3, 3.5 and
 * 5.5 GB at 32×32×32, 48×48×32 and 64×64×48 wavelet grids) the count comes out 27 %, 4 % and 35 % high, the
 * backward pass's gradient buffers fitting into what it frees as it goes; so it is used as it is, an estimate
 * that errs on the safe side.
 */
export function savedActivationValues(config: CwdmUNetConfig, voxels: number): number {
  const { modelChannels, channelMult, numResBlocks, conditions } = config;
  const resBlock = (cin: number, cout: number, vin: number, vout: number) => 3 * cin * vin + 6 * cout * vout;
  let total = 0;
  let ch = modelChannels * channelMult[0];
  let v = voxels;
  const skips: { ch: number; v: number }[] = [{ ch, v }];
  total += WAVELET_BANDS * (1 + conditions) * v + ch * v;
  channelMult.forEach((mult, level) => {
    for (let i = 0; i < numResBlocks; i++) {
      total += resBlock(ch, modelChannels * mult, v, v);
      ch = modelChannels * mult;
      skips.push({ ch, v });
    }
    if (level !== channelMult.length - 1) {
      total += resBlock(ch, ch, v, v / 8);
      v /= 8;
      skips.push({ ch, v });
    }
  });
  total += 2 * resBlock(ch, ch, v, v);
  for (let level = channelMult.length - 1; level >= 0; level--) {
    for (let i = 0; i <= numResBlocks; i++) {
      const skip = skips.pop()!;
      const out = modelChannels * channelMult[level];
      total += (ch + skip.ch) * v + resBlock(ch + skip.ch, out, v, v);
      ch = out;
      if (level > 0 && i === numResBlocks) {
        total += resBlock(ch, ch, v, v * 8);
        v *= 8;
      }
    }
  }
  return total + 3 * ch * v;
}

export function estimateCwdmTrainingMemory(config: CwdmUNetConfig, input: TrainingMemoryInput): TrainingMemoryEstimate {
  const voxels = (input.imageShape[0] * input.imageShape[1] * input.imageShape[2]) / 8 * input.batchSize;
  const parameters = input.parameterCount * FLOAT;
  const optimiser = (WEIGHT_COPIES + (input.precision === 'bf16' ? BF16_WEIGHT_COPIES : 0)) * parameters;
  // Counted at 4 bytes in bf16 too: bfloat16 halves most saved activations, but GroupNorm32 saves its float32
  // inputs, and an estimate should err on the safe side.
  const activations = savedActivationValues(config, voxels) * FLOAT;
  const data = input.cachedValues * FLOAT;
  return { parameters, optimiser, activations, data, runtime: RUNTIME_BYTES, total: parameters + optimiser + activations + data + RUNTIME_BYTES };
}

