/**
 * ALDM's stage 1 for the generic trainer: the VQ-GAN autoencoder learns to reconstruct every contrast of the model,
 * one contrast drawn per sample and step (the reference's stage 1 takes the `source` of a random pair: the same
 * thing). Loss: L1 or the squared error (plus, where the run has one, the weighted perceptual distance) + codebookWeight · the quantiser's
 * loss and, once the GAN has started, the hinge generator term weighted adaptively; then the image PatchGAN's hinge
 * step. SPADE is not used. Every `reseedEvery` steps the codes no encoding chose since the last time are re-seeded
 * from that step's encoder outputs (a codebook trained from scratch otherwise collapses onto a few codes). Under data
 * parallelism the counts cover every rank's encodings and rank 0's encoder outputs re-seed (StepContext). The
 * adaptive generator weight stays each rank's own, from its own gradients, as in Lightning's DDP.
 *
 * Validation reconstructs every contrast of fixed validation cases (no draws involved): the mean L1, the L1 of an
 * input-blind prediction (each volume's mean intensity), brain-masked PSNR per contrast, and the codebook's
 * perplexity and number of codes in use over those encodings.
 */
import type { VQModel, NLayerDiscriminator } from '../../models/aldm/index.js';
import {
  adaptiveGeneratorWeight, hingeGeneratorLoss, reconstructionLoss, stage1DiscriminatorLoss,
} from '../../models/aldm/index.js';
import type { PerceptualLoss } from '../../models/medicalNet/index.js';
import type { Module } from '../../nn/index.js';
import type { DiffusionBatch, TrainingDraws } from '../../pipelines/index.js';
import { F, Generator, keep, noGrad, randint, tensor, tidy, type Device, type Tensor } from '../../tensor/index.js';
import type { StepContext, StepResult, TrainingSession, ValidationOptions } from '../../training/index.js';
import type { AldmAutoencoderTraining } from './aldmConfig.js';
import { AUTOENCODER, CODE_USAGE, DISCRIMINATOR } from './aldmConfig.js';
import { brainPsnr } from './brainPsnr.js';
import type { CodeUsage } from './codeUsage.js';

/** Every contrast of each sample, in class order: the roles put the model's last contrast as the target. */
export function contrastsInClassOrder(batch: DiffusionBatch): Tensor {
  return F.cat([batch.conditions, batch.target], 1);
}

/** One class per sample from the step's draws: the batch's generator, or each sample's own. */
export function drawClasses(draws: TrainingDraws, samples: number, classes: number): number[] {
  const from = (generator: Generator, n: number) => Array.from(randint(0, classes, [n], { generator }).toTypedArray<'int64'>(), Number);
  return draws instanceof Generator ? from(draws, samples) : draws.flatMap((generator) => from(generator, 1));
}

/** Sample i's channel classes[i], (N, 1, …spatial). */
export function pickChannels(volumes: Tensor, classes: readonly number[]): Tensor {
  return tidy(() => F.cat(classes.map((k, i) => volumes.narrow(0, i, 1).narrow(1, k, 1)), 0));
}

/** exp(entropy) of the codes' frequencies, and how many codes occur, over the int64 `indices` of each encoding. */
export function codebookUsage(indices: readonly Tensor[], codebookSize: number): { perplexity: number; codesUsed: number } {
  const counts = new Float64Array(codebookSize);
  for (const t of indices) for (const index of t.toTypedArray<'int64'>()) counts[Number(index)] += 1;
  const total = counts.reduce((a, b) => a + b, 0);
  const entropy = counts.reduce((h, c) => (c === 0 ? h : h - (c / total) * Math.log(c / total)), 0);
  return { perplexity: Math.exp(entropy), codesUsed: counts.filter((c) => c > 0).length };
}

export function autoencoderSession(networks: Readonly<Record<string, Module>>, training: AldmAutoencoderTraining,
  contrasts: readonly string[], options: ValidationOptions, perceptual?: PerceptualLoss): TrainingSession {
  const model = networks[AUTOENCODER] as VQModel;
  const discriminator = networks[DISCRIMINATOR] as NLayerDiscriminator | undefined;
  const codebookSize = model.config.nEmbed;
  const usage = networks[CODE_USAGE] as CodeUsage | undefined;
  const { gan } = training;

  /**
   * At the end of a re-seeding window: each code unused since the last one becomes one of x's encoder outputs, drawn
   * with the step's generator. Returns how many codes were re-seeded.
   */
  const reseed = (x: Tensor, context: StepContext): number => {
    if (usage === undefined || (context.step + 1) % training.reseedEvery !== 0) return 0;
    const dead = usage.unused();
    usage.reset();
    if (dead.length === 0) return 0;
    tidy(() => noGrad(() => {
      const z = model.quantConv.forward(model.encoder.forward(x.to(model.dtype)));
      const outputs = z.permute([0, 2, 3, 4, 1]).reshape([-1, z.shape[1]]);
      const generator = context.draws instanceof Generator ? context.draws : context.draws[0];
      const picked = outputs.indexSelect(0, randint(0, outputs.shape[0], [dead.length], { generator }));
      const codes = tensor(BigInt64Array.from(dead, BigInt));
      context.editWeights(AUTOENCODER, (master) => {
        const { codebook } = (master as VQModel).quantize;
        codebook.indexCopy_(0, codes.to(codebook.device as Device), picked.to({ dtype: codebook.dtype, device: codebook.device as Device }));
      });
    }));
    return dead.length;
  };

  /** Reconstruction of x (float32 in, float32 out) through the model's dtype, and the quantiser's loss and codes. */
  const reconstruct = (x: Tensor) => {
    const quantized = model.encode(x.to(model.dtype));
    return { reconstruction: model.decode(quantized.zQ).float(), codebookLoss: quantized.loss.float(), indices: quantized.indices };
  };

  return {
    step(batch, context): StepResult {
      const volumes = contrastsInClassOrder(batch);
      const x = pickChannels(volumes, drawClasses(context.draws, volumes.shape[0], volumes.shape[1]));
      const { reconstruction, codebookLoss, indices } = reconstruct(x);
      // taming's "nll": the reconstruction term, with the perceptual distance where there is one.
      const pixel = reconstructionLoss(x, reconstruction, training.reconstructionLoss);
      const perceptualTerm = perceptual?.forward(reconstruction, x).mul(training.perceptual!.weight);
      const rec = perceptualTerm === undefined ? pixel : pixel.add(perceptualTerm);
      const quant = codebookLoss.mean();
      const recLosses = { rec: pixel.item(), ...(perceptualTerm !== undefined && { perceptual: perceptualTerm.item() }) };
      usage?.record(indices, context.sumOverRanks);
      const measures = codebookUsage([indices], codebookSize);
      if (gan === null || discriminator === undefined || context.step < gan.start) {
        const total = rec.add(quant.mul(training.codebookWeight));
        context.update(AUTOENCODER, total);
        return { loss: total.item(), losses: { ...recLosses, codebook: quant.item() }, measures: { ...measures, reseeded: reseed(x, context) } };
      }
      const logitsFake = discriminator.forward(reconstruction.to(model.dtype)).float();
      const generator = hingeGeneratorLoss(logitsFake);
      const weight = adaptiveGeneratorWeight({ rec, generator, lastLayer: model.decoder.lastLayerWeight, discWeight: gan.weight });
      const total = rec.add(generator.mul(weight)).add(quant.mul(training.codebookWeight));
      context.update(AUTOENCODER, total);
      const critic = stage1DiscriminatorLoss({
        logitsReal: discriminator.forward(x.to(model.dtype)).float(), logitsFake: discriminator.forward(reconstruction.detach().to(model.dtype)).float(),
      });
      context.update(DISCRIMINATOR, critic);
      return {
        loss: total.item(),
        losses: { ...recLosses, codebook: quant.item(), generator: generator.item(), discriminator: critic.item() },
        measures: { ...measures, ganWeight: weight.item(), reseeded: reseed(x, context) },
      };
    },

    validate(context) {
      const cases = context.cases.slice(0, Math.max(1, options.triples));
      return noGrad(() => {
        let loss = 0;
        let baselineLoss = 0;
        const psnr = new Array<number>(contrasts.length).fill(0);
        const allIndices: Tensor[] = [];
        for (const c of cases) {
          const volumes = contrastsInClassOrder(c.batch);
          contrasts.forEach((_, k) => tidy(() => {
            const x = volumes.narrow(1, k, 1);
            const { reconstruction, indices } = reconstruct(x);
            allIndices.push(keep(indices));
            loss += reconstructionLoss(x, reconstruction).item();
            baselineLoss += x.sub(x.mean()).abs().mean().item();
            psnr[k] += brainPsnr(reconstruction, x);
          }));
          volumes.dispose();
        }
        const pairs = cases.length * contrasts.length;
        const usage = codebookUsage(allIndices, codebookSize);
        for (const t of allIndices) t.dispose();
        return {
          loss: loss / pairs,
          baselineLoss: baselineLoss / pairs,
          measures: {
            ...Object.fromEntries(contrasts.map((contrast, k) => [`psnr.${contrast}`, psnr[k] / cases.length])),
            perplexity: usage.perplexity, codesUsed: usage.codesUsed,
          },
        };
      });
    },
  };
}
