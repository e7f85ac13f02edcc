/**
 * ALDM's stage 2 for the generic trainer: MS-SPADE learns to turn the quantised latent of a source contrast into the
 * quantised latent of a target, z_t ≈ SPADE(z_s, t), by L1 in latent space (the reference's stage 2), or with the
 * 'decoded' loss into a latent that the frozen decoder turns into the target image, D(SPADE(z_s, t)) ≈ x_t by the
 * squared error (what PSNR measures), the autoencoder frozen. Each sample draws an ordered pair of distinct contrasts
 * per step. Optionally (both off in the reference code):
 * the paper's cycle term, L1 between z_s and SPADE(SPADE(z_s, t), s); and from `gan.start` on the latent PatchGAN, whose
 * cross-entropy teaches MS-SPADE to make translations it classifies as the target, while it learns real target latents
 * as their contrast and translations as the fake class.
 *
 * The autoencoder is frozen and deterministic, so each case's latents are computed once (`encodeCase`, or with the
 * decoded loss `encodeCaseKeepingImages`: the plan's prepareCase) and the steps never run the encoder.
 *
 * Validation translates every ordered pair of fixed validation cases: the mean loss, and as the baseline that of no
 * translation at all (z_s taken for z_t), with the latent L1 into each target; with the decoded loss, the image's
 * squared error and the brain PSNR into each target too.
 */
import { patchClassLoss, stage2DiscriminatorLoss, type NLayerDiscriminator, type SpadeGenerator, type VQModel } from '../../models/aldm/index.js';
import type { Module } from '../../nn/index.js';
import type { DiffusionBatch, TrainingDraws } from '../../pipelines/index.js';
import { F, Generator, noGrad, randint, tidy, type Tensor } from '../../tensor/index.js';
import type { StepResult, TrainingSession, ValidationOptions } from '../../training/index.js';
import { AUTOENCODER, DISCRIMINATOR, SPADE, type AldmSpadeTraining } from './aldmConfig.js';
import { contrastsInClassOrder, pickChannels } from './autoencoderSession.js';
import { brainPsnr } from './brainPsnr.js';

/** A case's contrasts (images, class order) → their quantised latents, the same layout: each contrast's zChannels in turn. */
export function encodeCase(model: VQModel, batch: DiffusionBatch): DiffusionBatch {
  return tidy(() => {
    const latents = quantisedLatents(model, contrastsInClassOrder(batch));
    return { conditions: F.cat(latents.slice(0, -1), 1), target: latents[latents.length - 1] };
  });
}

/** Each contrast (channel) of `images` → its quantised latent, float32. */
function quantisedLatents(model: VQModel, images: Tensor): Tensor[] {
  return Array.from({ length: images.shape[1] }, (_, k) => model.encode(images.narrow(1, k, 1).to(model.dtype)).zQ.float());
}

/**
 * A case's contrasts (images, class order) → `conditions`: their quantised latents, each contrast's zChannels in turn;
 * `target`: the images themselves, class order (what the decoded loss fits a translation to).
 */
export function encodeCaseKeepingImages(model: VQModel, batch: DiffusionBatch): DiffusionBatch {
  return tidy(() => {
    const images = contrastsInClassOrder(batch);
    return { conditions: F.cat(quantisedLatents(model, images), 1), target: images };
  });
}

/** Ordered pairs of distinct classes, one per sample, from the step's draws: the source, then the target among the rest. */
export function drawPairs(draws: TrainingDraws, samples: number, classes: number): { source: number; target: number }[] {
  const pair = (generator: Generator) => {
    const [source, other] = [classes, classes - 1].map((n) => Number(randint(0, n, [1], { generator }).toTypedArray<'int64'>()[0]));
    return { source, target: other >= source ? other + 1 : other };
  };
  return draws instanceof Generator ? Array.from({ length: samples }, () => pair(draws)) : draws.map(pair);
}

/** Sample i's latent of class classes[i] from latents laid out contrast after contrast, (N, zChannels, …). */
function pickLatents(latents: Tensor, classes: readonly number[], zChannels: number): Tensor {
  return tidy(() => F.cat(classes.map((k, i) => latents.narrow(0, i, 1).narrow(1, k * zChannels, zChannels)), 0));
}

export function spadeSession(networks: Readonly<Record<string, Module>>, training: AldmSpadeTraining, contrasts: readonly string[],
  options: ValidationOptions): TrainingSession {
  const spade = networks[SPADE] as SpadeGenerator;
  const discriminator = networks[DISCRIMINATOR] as NLayerDiscriminator | undefined;
  const { gan, cycleWeight } = training;
  const autoencoder = networks[AUTOENCODER] as VQModel;
  const { zChannels } = autoencoder.config;
  const dtype = () => spade.parameters()[0].dtype;
  const translate = (source: Tensor, targets: readonly number[]) => spade.forward(source.to(dtype()), targets).float();
  const decodedLoss = training.loss === 'decoded';
  /** The case's latents of every contrast, class order: prepared apart from its images for the decoded loss, else the whole batch. */
  const latentsOf = (batch: DiffusionBatch) => (decodedLoss ? batch.conditions : contrastsInClassOrder(batch));
  const decode = (latent: Tensor) => autoencoder.decode(latent.to(autoencoder.dtype)).float();

  return {
    step(batch, context): StepResult {
      const latents = latentsOf(batch);
      const pairs = drawPairs(context.draws, latents.shape[0], contrasts.length);
      const targets = pairs.map((p) => p.target);
      const sources = pairs.map((p) => p.source);
      const source = pickLatents(latents, sources, zChannels);
      const translated = translate(source, targets);
      const fit = decodedLoss ? F.mseLoss(decode(translated), pickChannels(batch.target, targets))
        : F.l1Loss(translated, pickLatents(latents, targets, zChannels));
      let total = fit;
      const losses: Record<string, number> = { [decodedLoss ? 'decoded' : 'l1']: fit.item() };
      if (cycleWeight !== undefined) {
        const cycle = F.l1Loss(translate(translated, sources), source);
        losses.cycle = cycle.item();
        total = total.add(cycle.mul(cycleWeight));
      }
      const ganOn = gan !== undefined && discriminator !== undefined && context.step >= gan.start;
      const judge = (z: Tensor) => discriminator!.forward(z.to(discriminator!.parameters()[0].dtype)).float();
      if (ganOn) {
        const generator = patchClassLoss(judge(translated), targets);
        losses.generator = generator.item();
        total = total.add(generator.mul(gan.weight));
      }
      context.update(SPADE, total);
      if (ganOn) {
        const real = pickLatents(latents, targets, zChannels);
        const critic = stage2DiscriminatorLoss({ logitsReal: judge(real), logitsFake: judge(translated.detach()), classes: targets, fakeClass: gan.fakeClass });
        losses.discriminator = critic.item();
        context.update(DISCRIMINATOR, critic);
      }
      return { loss: total.item(), ...(Object.keys(losses).length > 1 && { losses }) };
    },

    validate(context) {
      const cases = context.cases.slice(0, Math.max(1, options.triples));
      return noGrad(() => {
        let loss = 0;
        let baselineLoss = 0;
        const l1Into = new Array<number>(contrasts.length).fill(0);
        const psnrInto = new Array<number>(contrasts.length).fill(0);
        for (const c of cases) {
          contrasts.forEach((_, source) => tidy(() => {
            const latents = latentsOf(c.batch);
            const zs = latents.narrow(1, source * zChannels, zChannels);
            // No translation at all, decoded once for every target.
            const untranslated = decodedLoss ? decode(zs) : undefined;
            contrasts.forEach((__, target) => {
              if (source === target) return;
              tidy(() => {
                const zt = latents.narrow(1, target * zChannels, zChannels);
                const translated = translate(zs, [target]);
                const l1 = F.l1Loss(translated, zt).item();
                l1Into[target] += l1;
                if (untranslated === undefined) {
                  loss += l1;
                  baselineLoss += F.l1Loss(zs, zt).item();
                  return;
                }
                const x = c.batch.target.narrow(1, target, 1);
                const decoded = decode(translated);
                loss += F.mseLoss(decoded, x).item();
                baselineLoss += F.mseLoss(untranslated, x).item();
                psnrInto[target] += brainPsnr(decoded, x);
              });
            });
          }));
        }
        const pairs = cases.length * contrasts.length * (contrasts.length - 1);
        const perTarget = cases.length * (contrasts.length - 1);
        const perContrast = (name: string, sums: readonly number[]) => contrasts.map((contrast, k) => [`${name}.${contrast}`, sums[k] / perTarget]);
        return {
          loss: loss / pairs,
          baselineLoss: baselineLoss / pairs,
          measures: Object.fromEntries([...perContrast('l1', l1Into), ...(decodedLoss ? perContrast('psnr', psnrInto) : [])]),
        };
      });
    },
  };
}
