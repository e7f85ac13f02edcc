/**
 * cWDM (Friedrich et al., conditional wavelet diffusion) as a synthesis method: one model per target contrast,
 * conditioned on the other contrasts, its U-Net over Haar bands predicting x₀ in [0, 1] units.
 */
import { loadRawIntoModule } from '../../nn/index.js';
import { CWDM_UNET_PRESET_NAMES, CwdmUNet, parameterCounts, type CwdmUNetConfig } from '../../models/wdm/index.js';
import { RUN_FILES, type AnyRunConfig } from '../../runs/index.js';
import { assert } from '../../util/index.js';
import type { SynthesisMethod } from '../index.js';
import { CWDM, UNET, parseCwdmConfig } from './cwdmConfig.js';
import { cwdmPipeline } from './cwdmPipeline.js';
import { cwdmTraining } from './cwdmTraining.js';
import { savedActivationValues } from './trainingMemory.js';
import { REFERENCE_PREPROCESS, REFERENCE_SCHEDULE, referenceConditions } from './reference.js';

export const cwdmMethod: SynthesisMethod<CwdmUNetConfig> = {
  name: CWDM,
  description: 'cWDM: the 3-D U-Net denoiser over Haar wavelet bands (Friedrich et al.)',
  presets: CWDM_UNET_PRESET_NAMES,

  parseConfig: parseCwdmConfig,

  buildNetworks: (config) => ({ [UNET]: new CwdmUNet(config) }),

  parameterCounts(networks) {
    const counts = parameterCounts(networks[UNET] as CwdmUNet);
    return [
      { part: 'input blocks', parameters: counts.inputBlocks },
      { part: 'middle', parameters: counts.middle },
      { part: 'output blocks', parameters: counts.outputBlocks },
      { part: 'time embedding', parameters: counts.timeEmbedding },
      { part: 'head', parameters: counts.head },
    ];
  },

  checkRun(config, where) {
    // cWDM clips every x̂₀ to [0, 1] in image space, so its inputs and outputs are in [0, 1]; sidecars and headers say so.
    const intensity = config.preprocess.steps.filter((s) => s.kind === 'intensity');
    assert(intensity.length === 1 && intensity[0].range[0] === 0 && intensity[0].range[1] === 1,
      () => `${where}: a cWDM run must normalise each contrast to [0, 1] exactly once, got intensity steps ${JSON.stringify(intensity)}`);
  },

  samplingMemory(config, modelVoxels, batch) {
    // A reverse step keeps about 0.14 of what a training step saves for backward (peak RSS of cpu and tiny networks at
    // 64³–128³, this machine); 0.2 leaves room. The Haar codec's passes are a few copies of the volume, negligible beside it.
    return batch * 0.2 * 4 * savedActivationValues(parseCwdmConfig(config.methodConfig, config.conditions), modelVoxels / 8);
  },

  pipeline(config: AnyRunConfig, weights, where) {
    const unet = new CwdmUNet(this.parseConfig(config.methodConfig, config.conditions));
    try {
      assert(weights[UNET] !== undefined, () => `${where}: no weights for the network '${UNET}'`);
      loadRawIntoModule(unet, weights[UNET]);
    } catch (error) {
      unet.dispose();
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
    unet.eval();
    return cwdmPipeline(unet, config.schedule);
  },

  reference: { conditions: referenceConditions, schedule: REFERENCE_SCHEDULE, preprocess: REFERENCE_PREPROCESS, weights: { [UNET]: RUN_FILES.weights } },
  training: cwdmTraining,
};
