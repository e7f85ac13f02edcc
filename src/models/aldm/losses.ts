/**
 * The VQ-GAN's training losses (spec §2.4): the reference's `VQLPIPSWithDiscriminator` (taming/modules/losses/
 * vqperceptual.py, which despite its name uses no LPIPS) as pure tensor functions over what the networks
 * returned: stage 1 judges images with a hinge loss, stage 2 judges latents and classifies their contrast. The
 * callers run the networks; these say what a step minimises. Every result is a 0-d tensor.
 */
import { F, Tensor, tensor, tidy } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

/**
 * The reconstruction terms a first stage can train on: 'l1', mean|x − x̂|, the reference's only one (no L2, no
 * perceptual loss); 'mse', mean (x − x̂)², the squared error PSNR measures (as Stable Diffusion's MSE-fine-tuned decoder).
 */
export const RECONSTRUCTION_LOSSES = ['l1', 'mse'] as const;
export type ReconstructionLoss = (typeof RECONSTRUCTION_LOSSES)[number];

/** The reconstruction term `kind` (default 'l1', the reference's) of x̂ against x. */
export function reconstructionLoss(input: Tensor, reconstruction: Tensor, kind: ReconstructionLoss = 'l1'): Tensor {
  assert(input.shape.length === reconstruction.shape.length && input.shape.every((s, i) => s === reconstruction.shape[i]),
    () => `reconstructionLoss: input ${fmtShape(input.shape)} and reconstruction ${fmtShape(reconstruction.shape)} must have one shape`);
  return tidy(() => {
    const error = input.sub(reconstruction);
    return (kind === 'mse' ? error.square() : error.abs()).mean();
  });
}

/** The generator's hinge loss, −mean D(x̂). */
export function hingeGeneratorLoss(logitsFake: Tensor): Tensor {
  return tidy(() => logitsFake.mean().neg());
}

/** The discriminator's hinge loss, ½(mean relu(1 − D(x)) + mean relu(1 + D(x̂))). */
export function hingeDiscriminatorLoss(logitsReal: Tensor, logitsFake: Tensor): Tensor {
  return tidy(() => F.relu(logitsReal.neg().add(1)).mean().add(F.relu(logitsFake.add(1)).mean()).mul(0.5));
}

/**
 * Cross-entropy of whole-volume class scores: each logit map (N, K, X, Y, Z) is averaged over space into one
 * score per class, then scored against one class per sample (int64, or numbers), as the reference's
 * `logits.view(B, K, −1).mean(2)` then `F.cross_entropy`.
 */
export function patchClassLoss(logits: Tensor, classes: Tensor | readonly number[]): Tensor {
  assert(logits.ndim >= 2, () => `patchClassLoss: logits must be (N, K, …), got shape ${fmtShape(logits.shape)}`);
  const [n, k] = logits.shape;
  return tidy(() => {
    const target = classes instanceof Tensor ? classes : tensor([...classes], { dtype: 'int64' });
    const bad = Array.from(target.toTypedArray(), Number).find((c) => !Number.isInteger(c) || c < 0 || c >= k);
    assert(bad === undefined, () => `patchClassLoss: class ${bad} is not one of the discriminator's ${k} classes (0…${k - 1})`);
    return F.crossEntropy(logits.reshape([n, k, -1]).mean(2), target);
  });
}

export const FAKE_CLASS_CHOICES = ['extra', 'zero'] as const;
/**
 * Which class the stage-2 discriminator is taught for translated latents: 'extra' is its own last class (the
 * one map beyond the contrasts, what the reference's 5 outputs were for); 'zero' is the reference's code,
 * which labels fakes 0 although class 0 is also t1's, so its fifth map is never a target.
 */
export type FakeClass = (typeof FAKE_CLASS_CHOICES)[number];

export interface GeneratorLossOptions {
  /** The reference's `disc_factor` after `adopt_weight` (0 before `disc_start`); default 1. */
  discFactor?: number;
  /** Weight of the quantiser's loss; default 1 (taming's; the released yamls' 0 leaves the codebook untrained). */
  codebookWeight?: number;
  /** Extra weight of the generator term, e.g. `adaptiveGeneratorWeight`'s (which the reference never uses); default 1. */
  generatorWeight?: Tensor | number;
}

/** One generator step's terms: total = rec + generatorWeight·discFactor·generator + codebookWeight·quant. */
export interface GeneratorLossTerms {
  rec: Tensor;
  generator: Tensor;
  /** The quantiser's loss as given (its mean). */
  quant: Tensor;
  total: Tensor;
}

function generatorTotal(rec: Tensor, generator: Tensor, codebookLoss: Tensor, options: GeneratorLossOptions): GeneratorLossTerms {
  const { discFactor = 1, codebookWeight = 1, generatorWeight = 1 } = options;
  return tidy(() => {
    const quant = codebookLoss.mean();
    const weighted = generator.mul(generatorWeight).mul(discFactor);
    return { rec, generator, quant, total: rec.add(weighted).add(quant.mul(codebookWeight)) };
  });
}

/**
 * Stage 1, autoencoder step: x and its reconstruction x̂ = decode(quantise(encode(x))), the quantiser's loss,
 * and the image discriminator's logits on x̂ (not detached: the generator term trains the decoder through them).
 */
export function stage1Loss(args: {
  input: Tensor; reconstruction: Tensor; codebookLoss: Tensor; logitsFake: Tensor;
} & GeneratorLossOptions): GeneratorLossTerms {
  return tidy(() => generatorTotal(reconstructionLoss(args.input, args.reconstruction), hingeGeneratorLoss(args.logitsFake),
    args.codebookLoss, args));
}

/** Stage 1, discriminator step: logits on x and on a detached x̂; discFactor·hinge. */
export function stage1DiscriminatorLoss(args: { logitsReal: Tensor; logitsFake: Tensor; discFactor?: number }): Tensor {
  return tidy(() => hingeDiscriminatorLoss(args.logitsReal, args.logitsFake).mul(args.discFactor ?? 1));
}

/**
 * Stage 2, translator step: the target's quantised latent VQ(E(target)), the translation SPADE(VQ(E(source)), y),
 * the *source* encoding's quantiser loss (as the reference adds it), and the latent discriminator's logits on
 * the translation, which must classify it as contrast y.
 */
export function stage2Loss(args: {
  target: Tensor; translated: Tensor; codebookLoss: Tensor; logitsFake: Tensor; classes: Tensor | readonly number[];
} & GeneratorLossOptions): GeneratorLossTerms {
  return tidy(() => generatorTotal(reconstructionLoss(args.target, args.translated), patchClassLoss(args.logitsFake, args.classes),
    args.codebookLoss, args));
}

/**
 * Stage 2, discriminator step: ½(CE(real target latents → their contrast) + CE(detached translations → the fake
 * class)), times discFactor. `fakeClass` defaults to 'extra'; 'zero' reproduces the reference.
 */
export function stage2DiscriminatorLoss(args: {
  logitsReal: Tensor; logitsFake: Tensor; classes: Tensor | readonly number[]; discFactor?: number; fakeClass?: FakeClass;
}): Tensor {
  const { logitsReal, logitsFake, classes, discFactor = 1, fakeClass = 'extra' } = args;
  assert((FAKE_CLASS_CHOICES as readonly string[]).includes(fakeClass),
    () => `stage2DiscriminatorLoss: fakeClass must be one of ${FAKE_CLASS_CHOICES.join(', ')}, got ${JSON.stringify(fakeClass)}`);
  const fake = fakeClass === 'zero' ? 0 : logitsFake.shape[1] - 1;
  return tidy(() => patchClassLoss(logitsReal, classes)
    .add(patchClassLoss(logitsFake, new Array<number>(logitsFake.shape[0]).fill(fake))).mul(0.5 * discFactor));
}

/**
 * taming's `calculate_adaptive_weight`: ‖∇_W rec‖ / (‖∇_W generator‖ + 1e-4), clamped to [0, 1e4], times
 * `discWeight`, with W the decoder's last weight, so the GAN term pulls on the decoder as hard as the
 * reconstruction does. A detached 0-d tensor. The engine has no autograd.grad, so this runs two backward
 * passes that keep the graph: they leave gradients on every leaf both losses reach, and W's is cleared after
 * each. Clear the networks' gradients (zeroGrad) before the step's own backward pass.
 */
export function adaptiveGeneratorWeight(args: { rec: Tensor; generator: Tensor; lastLayer: Tensor; discWeight: number }): Tensor {
  const { rec, generator, lastLayer, discWeight } = args;
  assert(lastLayer.requiresGrad && lastLayer.isLeaf, () => 'adaptiveGeneratorWeight: lastLayer must be a parameter (a leaf that requires gradients)');
  const gradientNorm = (loss: Tensor): Tensor => {
    loss.backward(undefined, { retainGraph: true });
    const grad = lastLayer.grad;
    lastLayer.grad = null;
    assert(grad !== null, () => 'adaptiveGeneratorWeight: the loss does not depend on lastLayer');
    return tidy(() => grad.norm());
  };
  lastLayer.grad = null;
  return tidy(() => {
    const recNorm = gradientNorm(rec);
    const generatorNorm = gradientNorm(generator);
    return recNorm.div(generatorNorm.add(1e-4)).clamp(0, 1e4).detach().mul(discWeight);
  });
}
