/**
 * cWDM as a diffusion pipeline: its U-Net behind {@link CwdmDenoiser}, the Haar codec with the LLL/3 convention,
 * x₀-prediction, and every x̂₀ clipped to [0, 1] in image space (the reference's `clip_denoised`), so outputs are
 * in the [0, 1] units its preprocessing normalises to.
 */
import { WaveletCodec } from '../../codecs/index.js';
import { cwdmSpatialMultiple, type CwdmUNet } from '../../models/wdm/index.js';
import { DiffusionPipeline } from '../../pipelines/index.js';
import type { RunSchedule } from '../../runs/index.js';
import type { PredictionType } from '../../schedulers/index.js';
import type { Tensor } from '../../tensor/index.js';
import { CwdmDenoiser } from './cwdmDenoiser.js';

/** The image range of every cWDM output and input. */
export const CWDM_OUTPUT_RANGE = [0, 1] as const;

/** What the cWDM U-Net predicts: x₀. */
export const CWDM_PREDICTION_TYPE: PredictionType = 'sample';

/** The pipeline of `unet` over a run's schedule. */
export function cwdmPipeline(unet: CwdmUNet, schedule: RunSchedule): DiffusionPipeline<Tensor> {
  const codec = new WaveletCodec({ latentMultiple: cwdmSpatialMultiple(unet.config) });
  return new DiffusionPipeline(new CwdmDenoiser(unet), codec, {
    schedule,
    outputRange: CWDM_OUTPUT_RANGE, clipPredX0: true,
  });
}
