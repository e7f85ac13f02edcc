/**
 * `MedicalNetResNet10`: the feature network of MedicalNet's 3-D ResNet-10 (Chen et al., "Med3D: Transfer Learning
 * for 3D Medical Image Analysis", 2019; github.com/Tencent/MedicalNet, models/resnet.py), as MONAI's PerceptualLoss
 * uses it (network_type "medicalnet_resnet10_23datasets", is_fake_3d False): the output of layer4, without the
 * segmentation head `conv_seg` MedicalNet trains it with.
 *
 * Layout, for width w (MedicalNet: 64): a 7×7×7 stride-2 convolution without bias (1 → w), BatchNorm, ReLU, a 3×3×3
 * stride-2 max pool; then four stages of one BasicBlock each, w → w, 2w (stride 2), 4w (dilation 2) and 8w (dilation
 * 4). The last two stages keep the resolution and widen the receptive field by dilation instead, so the features are
 * at 1/8 of the input's size per axis (⌈n/8⌉). Where a block changes the width or stride, its shortcut is a 1×1×1
 * convolution and a BatchNorm (MedicalNet's shortcut type B, the one its ResNet-10 weights use). Keys as MedicalNet's
 * state dict without `module.`: `conv1.weight`, `bn1.running_mean`, `layer2.0.downsample.1.weight`, ….
 *
 * The BatchNorms normalise with their running statistics once the network is in eval mode (`.eval()`), which is how
 * pretrained features are computed; in training mode they would take the batch's statistics and move the stored ones.
 */
import { F, Tensor, tidy } from '../../tensor/index.js';
import { BatchNorm, Conv, Module, Sequential } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';
import type { MedicalNetConfig } from './medicalNetConfig.js';

/** Width multiple, stride and dilation of each stage (layer1…layer4), as MedicalNet's `ResNet.__init__` sets them. */
const STAGES = [
  { multiple: 1, stride: 1, dilation: 1 },
  { multiple: 2, stride: 2, dilation: 1 },
  { multiple: 4, stride: 1, dilation: 2 },
  { multiple: 8, stride: 1, dilation: 4 },
] as const;

/** Key prefix of MedicalNet's segmentation head, which its checkpoints may hold beside the feature network. */
export const MEDICALNET_SEGMENTATION_HEAD = 'conv_seg.';

/**
 * The keys (or key prefixes) of a MedicalNet checkpoint, after `module.`, that are not this network's: the
 * segmentation head, and without `batchCounters` every BatchNorm's `num_batches_tracked`. An import sets them aside.
 */
export function medicalNetCheckpointExtras(config: MedicalNetConfig): string[] {
  const batchNorms = ['bn1', ...STAGES.flatMap((_, i) =>
    [`layer${i + 1}.0.bn1`, `layer${i + 1}.0.bn2`, ...(hasProjection(i) ? [`layer${i + 1}.0.downsample.1`] : [])])];
  return [MEDICALNET_SEGMENTATION_HEAD, ...(config.batchCounters ? [] : batchNorms.map((path) => `${path}.num_batches_tracked`))];
}

/** Whether the stage's block has a projected shortcut: every stage but the first changes the width (layer2 the stride too). */
function hasProjection(stage: number): boolean {
  const inMultiple = stage === 0 ? 1 : STAGES[stage - 1].multiple;
  return STAGES[stage].stride !== 1 || STAGES[stage].multiple !== inMultiple;
}

/** A 3-D BatchNorm with or without PyTorch's batch counter. */
function batchNorm(channels: number, config: MedicalNetConfig): BatchNorm {
  return new BatchNorm({ spatialDims: 3, numFeatures: channels, countBatches: config.batchCounters });
}

/** MedicalNet's `BasicBlock`: two 3×3×3 convolutions (padding = dilation, no bias) with BatchNorm, plus the shortcut. */
export class MedicalNetBasicBlock extends Module {
  readonly #conv1: Conv;
  readonly #bn1: BatchNorm;
  readonly #conv2: Conv;
  readonly #bn2: BatchNorm;
  readonly #downsample: Sequential | null;

  /** A projected shortcut wherever the block changes the width or strides, as MedicalNet's `_make_layer` decides. */
  constructor(inChannels: number, outChannels: number, options: { stride: number; dilation: number }, config: MedicalNetConfig) {
    super();
    const { stride, dilation } = options;
    const conv3 = (cin: number, s: number) =>
      new Conv({ spatialDims: 3, inChannels: cin, outChannels, kernelSize: 3, stride: s, padding: dilation, dilation, bias: false });
    this.#conv1 = this.registerModule('conv1', conv3(inChannels, stride));
    this.#bn1 = this.registerModule('bn1', batchNorm(outChannels, config));
    this.#conv2 = this.registerModule('conv2', conv3(outChannels, 1));
    this.#bn2 = this.registerModule('bn2', batchNorm(outChannels, config));
    this.#downsample = stride !== 1 || inChannels !== outChannels ? this.registerModule('downsample', new Sequential(
      new Conv({ spatialDims: 3, inChannels, outChannels, kernelSize: 1, stride, bias: false }), batchNorm(outChannels, config))) : null;
  }

  forward(x: Tensor): Tensor {
    return tidy('MedicalNetBasicBlock.forward', () => {
      const out = this.#bn2.forward(this.#conv2.forward(F.relu(this.#bn1.forward(this.#conv1.forward(x)))));
      return F.relu(out.add(this.#downsample === null ? x : this.#downsample.forward(x)));
    });
  }
}

export class MedicalNetResNet10 extends Module {
  readonly config: MedicalNetConfig;
  /** Channels of the features `forward` returns (8 × width; MedicalNet: 512). */
  readonly featureChannels: number;
  readonly #conv1: Conv;
  readonly #bn1: BatchNorm;
  readonly #stages: Sequential[];

  /** `config` is checked by `parseMedicalNetConfig`. Initialised as PyTorch's layers are; load pretrained weights to use it. */
  constructor(config: MedicalNetConfig) {
    super();
    this.config = config;
    const { width } = config;
    this.#conv1 = this.registerModule('conv1',
      new Conv({ spatialDims: 3, inChannels: 1, outChannels: width, kernelSize: 7, stride: 2, padding: 3, bias: false }));
    this.#bn1 = this.registerModule('bn1', batchNorm(width, config));
    let channels = width;
    this.#stages = STAGES.map(({ multiple, stride, dilation }, i) => {
      const out = width * multiple;
      const block = new MedicalNetBasicBlock(channels, out, { stride, dilation }, config);
      channels = out;
      return this.registerModule(`layer${i + 1}`, new Sequential(block));
    });
    this.featureChannels = channels;
  }

  /**
   * x (N, 1, D, H, W), standardised as the network was trained (see `standardiseIntensities`) → layer4's features
   * (N, 8·width, ⌈D/8⌉, ⌈H/8⌉, ⌈W/8⌉). One channel in: a multi-contrast input goes through channel by channel, as MONAI does.
   */
  forward(x: Tensor): Tensor {
    assert(x.ndim === 5 && x.shape[1] === 1,
      () => `MedicalNetResNet10.forward: x must be (N, 1, D, H, W), one channel (pass each contrast on its own), got shape ${fmtShape(x.shape)}`);
    return tidy('MedicalNetResNet10.forward', () => {
      let h = F.maxPool3d(F.relu(this.#bn1.forward(this.#conv1.forward(x))), 3, { stride: 2, padding: 1 });
      for (const stage of this.#stages) h = stage.forward(h);
      return h;
    });
  }
}
