/**
 * cWDM as a pipeline: the denoiser, the wavelet codec and a scheduler, and the two loops that use them.
 * Following the diffusers layering, the loop lives here, visible, so that the model and the scheduler can be
 * swapped and debugged separately (models know nothing of schedulers; schedulers know nothing of wavelets).
 *
 * Training (Friedrich et al., cWDM; x₀-parameterisation): the missing contrast and the available ones are
 * mapped to wavelet coefficients c = DWT(x) (LLL/3), a timestep t and noise ε are drawn, and the network
 * predicts c₀ from [c_t ‖ c_cond] where c_t = √ᾱ_t c₀ + √(1−ᾱ_t) ε; the loss is the MSE on coefficients.
 * Sampling runs the scheduler's reverse steps from pure noise, with x̂₀ clipped in image space at every step.
 *
 * Precision: the network runs in whatever dtype its weights are in (`model.to('bfloat16')` for bf16, see
 * models/wdm/precision.ts); everything else here — wavelet coefficients, noise, the scheduler, the loss — is
 * float32. `predict` is the one place where the two meet.
 */
import { assert, fmtShape } from '../../util/assert.js';
import { F, Generator, Tensor, noGrad, randint, randn, tensor, tidy } from '../../tensor/index.js';
import type { CwdmUNet } from '../../models/wdm/index.js';
import type { Scheduler } from '../../schedulers/index.js';
import type { WaveletCodec } from '../../codecs/index.js';

export interface CwdmBatch {
  /** The contrast to synthesise, (N, 1, D, H, W), normalised to [0, 1]. */
  readonly target: Tensor;
  /** The available contrasts stacked on channels in the model's condition order, (N, C, D, H, W). */
  readonly conditions: Tensor;
}

export interface SampleOptions {
  readonly generator: Generator;
  /** Called after every reverse step with (steps done, steps in all). */
  readonly onStep?: (done: number, total: number) => void;
}

export class CwdmPipeline {
  constructor(readonly model: CwdmUNet, readonly codec: WaveletCodec) {}

  /** Checks that an image-space batch fits the network (condition count, axes divisible as the U-Net needs). */
  checkBatch(fn: string, conditions: Tensor, target?: Tensor): void {
    const expected = this.model.config.conditions;
    assert(conditions.ndim === 5 && conditions.shape[1] === expected, () =>
      `${fn}: conditions must be (N, ${expected}, D, H, W) for this model, got shape ${fmtShape(conditions.shape)}`);
    this.codec.checkImageShape(conditions.shape);
    if (target !== undefined) {
      assert(target.ndim === 5 && target.shape[1] === 1 && fmtShape(target.shape.slice(2)) === fmtShape(conditions.shape.slice(2)),
        () => `${fn}: target must be (N, 1, ${conditions.shape.slice(2).join(', ')}), got shape ${fmtShape(target.shape)}`);
    }
  }

  /**
   * The network's x̂₀ for [c_t ‖ c_cond] in the input's dtype (float32), whatever dtype the network runs in: the
   * input is cast to the network's dtype on the way in and the output cast back on the way out. Gradients flow
   * through both casts, so a loss on the float32 output trains a bfloat16 network.
   */
  predict(input: Tensor, timesteps: Tensor): Tensor {
    const { dtype } = this.model;
    if (input.dtype === dtype) return this.model.forward(input, timesteps);
    return tidy(() => this.model.forward(input.to(dtype), timesteps).to(input.dtype));
  }

  /** The training objective for one batch: MSE between predicted and true clean coefficients. */
  trainingLoss(batch: CwdmBatch, scheduler: Scheduler, generator: Generator): Tensor {
    this.checkBatch('CwdmPipeline.trainingLoss', batch.conditions, batch.target);
    return tidy(() => {
      const clean = this.codec.encode(batch.target);
      const condition = this.codec.encode(batch.conditions);
      const n = clean.shape[0];
      const steps = randint(0, scheduler.config.numTrainTimesteps, [n], { generator });
      const stepList = Array.from(steps.toTypedArray<'int64'>(), Number);
      const noise = randn(clean.shape, { generator, dtype: clean.dtype });
      const noisy = scheduler.addNoise(clean, noise, stepList);
      const predicted = this.predict(F.cat([noisy, condition], 1), steps);
      return F.mseLoss(predicted, clean);
    });
  }

  /**
   * Synthesises the missing contrast for a batch of conditions: returns (N, 1, D, H, W) in [0, 1]. The
   * scheduler must have its timesteps set and the codec's image-space clipping as its x̂₀ clipping.
   */
  sample(conditions: Tensor, scheduler: Scheduler, options: SampleOptions): Tensor {
    this.checkBatch('CwdmPipeline.sample', conditions);
    const timesteps = scheduler.timesteps;
    assert(timesteps.length > 0, () => 'CwdmPipeline.sample: the scheduler has no timesteps; call setTimesteps(K) first');
    return noGrad(() => {
      const condition = this.codec.encode(conditions);
      const n = conditions.shape[0];
      let x = randn([n, this.codec.bands, ...condition.shape.slice(2)], { generator: options.generator, dtype: condition.dtype });
      let predX0: Tensor | undefined;
      timesteps.forEach((t, index) => {
        const out = tidy(() => {
          const step = tensor(new BigInt64Array(n).fill(BigInt(t)));
          const modelOutput = this.predict(F.cat([x, condition], 1), step);
          return scheduler.step(modelOutput, t, x, { generator: options.generator });
        });
        x.dispose();
        predX0?.dispose();
        x = out.prevSample;
        predX0 = out.predX0;
        options.onStep?.(index + 1, timesteps.length);
      });
      predX0?.dispose();
      condition.dispose();
      const image = tidy(() => this.codec.decode(x).clamp(0, 1));
      x.dispose();
      return image;
    });
  }
}
