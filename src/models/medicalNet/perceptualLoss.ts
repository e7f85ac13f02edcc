/**
 * A 3D perceptual distance on MedicalNet features, as MONAI's PerceptualLoss computes it with a MedicalNet network
 * (`MedicalNetPerceptualSimilarity`): each volume standardised on its own (see `standardiseIntensities`), layer4's
 * features, each voxel's feature vector scaled to unit length (ε 1e-10), the squared difference summed over
 * channels, averaged over voxels and the batch. What the ALDM paper's autoencoder loss names and its code never
 * builds (spec §2.4: its 3D LPIPS variant would reduce a one-channel input to its sign).
 *
 * The network is frozen here: evaluation mode (BatchNorm with its stored statistics), no parameter gradients; the
 * gradient flows to the volumes.
 */
import { loadRawIntoModule } from '../../nn/index.js';
import { tidy, type Tensor } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';
import { standardiseIntensities } from './intensityStandardisation.js';
import { parseMedicalNetConfig } from './medicalNetConfig.js';
import { MedicalNetResNet10 } from './medicalNetResNet10.js';

/** The name `mrsynth convert --feature-network` records in the weights file's metadata. */
export const MEDICALNET_RESNET10 = 'medicalnet-resnet10';
const FEATURE_EPS = 1e-10;

/** Each voxel's feature vector (dim 1) divided by its length, as MONAI's `normalize_tensor`. */
function unitFeatures(features: Tensor): Tensor {
  return tidy(() => features.div(features.square().sum(1, true).sqrt().add(FEATURE_EPS)));
}

export class PerceptualLoss {
  constructor(readonly network: MedicalNetResNet10) {
    network.eval();
    for (const parameter of network.parameters()) parameter.requiresGrad_(false);
  }

  /**
   * The network a weights file written by `convert --feature-network medicalnet-resnet10` holds, rebuilt from the
   * config in its metadata and loaded strictly; `source` names the file in messages.
   */
  static fromWeights(contents: { readonly tensors: Parameters<typeof loadRawIntoModule>[1]; readonly metadata: Readonly<Record<string, string>> },
    source: string): PerceptualLoss {
    const { model, config } = contents.metadata;
    assert(model === MEDICALNET_RESNET10, () => `PerceptualLoss: ${source} holds ${model === undefined ? 'no network name in its metadata' : `'${model}'`}; `
      + `expected the weights of ${MEDICALNET_RESNET10}, as mrsynth convert --feature-network ${MEDICALNET_RESNET10} writes them`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(config ?? 'null');
    } catch {
      throw new Error(`PerceptualLoss: ${source}: the metadata's config is not JSON: ${config?.slice(0, 80)}`);
    }
    const network = new MedicalNetResNet10(parseMedicalNetConfig(parsed));
    try {
      loadRawIntoModule(network, contents.tensors);
    } catch (error) {
      network.dispose();
      throw new Error(`PerceptualLoss: ${source}: ${(error as Error).message}`, { cause: error });
    }
    return new PerceptualLoss(network);
  }

  /** input and target (N, 1, D, H, W), float32 → the 0-d mean perceptual distance, differentiable in both. */
  forward(input: Tensor, target: Tensor): Tensor {
    assert(input.ndim === 5 && input.shape[1] === 1 && fmtShape(input.shape) === fmtShape(target.shape),
      () => `PerceptualLoss.forward: input and target must be (N, 1, D, H, W) of one shape, got ${fmtShape(input.shape)} and ${fmtShape(target.shape)}`);
    return tidy('PerceptualLoss.forward', () => {
      const features = (x: Tensor) => unitFeatures(this.network.forward(standardiseIntensities(x)));
      return features(input).sub(features(target)).square().sum(1).mean();
    });
  }

  dispose(): void {
    this.network.dispose();
  }
}
