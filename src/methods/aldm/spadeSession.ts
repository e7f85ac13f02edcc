/**
 * ALDM's stage 2 for the generic trainer: MS-SPADE learns to turn the quantised latent of a source contrast into the
 * quantised latent of a target, z_t ≈ SPADE(z_s, t), by L1 in latent space (the reference's stage 2), the autoencoder
 * frozen. Each sample draws an ordered pair of distinct contrasts per step.
 *
 * The autoencoder is frozen and deterministic, so each case's latents are computed once (`encodeCase`, the plan's
 * prepareCase) and the steps never run the encoder.
 *
 * Validation translates every ordered pair of fixed validation cases: the mean L1, and as the baseline the L1 of no
 * translation at all (z_s taken for z_t), with the L1 into each target.
 */
import type { SpadeGenerator, VQModel } from '../../models/aldm/index.js';
import type { Module } from '../../nn/index.js';
import type { DiffusionBatch, TrainingDraws } from '../../pipelines/index.js';
import { F, Generator, noGrad, randint, tidy, type Tensor } from '../../tensor/index.js';
import type { StepResult, TrainingSession, ValidationOptions } from '../../training/index.js';
import { AUTOENCODER, SPADE } from './aldmConfig.js';
import { contrastsInClassOrder } from './autoencoderSession.js';

/** A case's contrasts (images, class order) → their quantised latents, the same layout: each contrast's zChannels in turn. */
export function encodeCase(model: VQModel, batch: DiffusionBatch): DiffusionBatch {
  return tidy(() => {
    const images = contrastsInClassOrder(batch);
    const latents = Array.from({ length: images.shape[1] }, (_, k) => model.encode(images.narrow(1, k, 1).to(model.dtype)).zQ.float());
    return { conditions: F.cat(latents.slice(0, -1), 1), target: latents[latents.length - 1] };
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

export function spadeSession(networks: Readonly<Record<string, Module>>, contrasts: readonly string[], options: ValidationOptions): TrainingSession {
  const spade = networks[SPADE] as SpadeGenerator;
  const { zChannels } = (networks[AUTOENCODER] as VQModel).config;
  const dtype = () => spade.parameters()[0].dtype;
  const translate = (source: Tensor, targets: readonly number[]) => spade.forward(source.to(dtype()), targets).float();

  return {
    step(batch, context): StepResult {
      const latents = contrastsInClassOrder(batch);
      const pairs = drawPairs(context.draws, latents.shape[0], contrasts.length);
      const targets = pairs.map((p) => p.target);
      const loss = F.l1Loss(translate(pickLatents(latents, pairs.map((p) => p.source), zChannels), targets),
        pickLatents(latents, targets, zChannels));
      context.update(SPADE, loss);
      return { loss: loss.item() };
    },

    validate(context) {
      const cases = context.cases.slice(0, Math.max(1, options.triples));
      return noGrad(() => {
        let loss = 0;
        let baselineLoss = 0;
        const intoTarget = new Array<number>(contrasts.length).fill(0);
        for (const c of cases) {
          const latents = contrastsInClassOrder(c.batch);
          contrasts.forEach((_, target) => contrasts.forEach((__, source) => {
            if (source === target) return;
            tidy(() => {
              const zt = latents.narrow(1, target * zChannels, zChannels);
              const zs = latents.narrow(1, source * zChannels, zChannels);
              const l1 = F.l1Loss(translate(zs, [target]), zt).item();
              loss += l1;
              intoTarget[target] += l1;
              baselineLoss += F.l1Loss(zs, zt).item();
            });
          }));
          latents.dispose();
        }
        const pairs = cases.length * contrasts.length * (contrasts.length - 1);
        const perTarget = cases.length * (contrasts.length - 1);
        return {
          loss: loss / pairs,
          baselineLoss: baselineLoss / pairs,
          measures: Object.fromEntries(contrasts.map((contrast, k) => [`l1.${contrast}`, intoTarget[k] / perTarget])),
        };
      });
    },
  };
}
