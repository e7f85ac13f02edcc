/**
 * Test support (not a test file): the MedicalNet test checkpoint and the features PyTorch computed with it
 * (test-fixtures/medicalNet/README.md), read from the repository copy.
 */
import { join } from 'node:path';
import { loadTorchCheckpoint } from '../../io/pytorch/index.js';
import { type RawTensor, loadSafetensors, rawToTensor } from '../../io/safetensors/index.js';
import type { Tensor } from '../../tensor/index.js';
import { packageRoot } from '../../util/index.js';

const DIR = join(packageRoot(import.meta.url), 'test-fixtures', 'medicalNet');
/** A width-8 ResNet-10 saved as MedicalNet saves a DataParallel model: {ecpoch, batch_id, state_dict: {module.…}}. */
export const MEDICALNET_CHECKPOINT = join(DIR, 'resnet10-tiny.pth');
export const MEDICALNET_FEATURES = join(DIR, 'resnet10-tiny-features.safetensors');
/** Where the checkpoint keeps the state dict. */
export const CHECKPOINT_PREFIX = 'state_dict.module.';

/** The checkpoint's state dict as PyTorch's `load_state_dict` would see it after stripping `module.`: head and counters included. */
export async function readMedicalNetStateDict(): Promise<Record<string, RawTensor>> {
  const { tensors } = await loadTorchCheckpoint(MEDICALNET_CHECKPOINT);
  return Object.fromEntries(Object.entries(tensors).filter(([key]) => key.startsWith(CHECKPOINT_PREFIX))
    .map(([key, raw]) => [key.slice(CHECKPOINT_PREFIX.length), raw]));
}

export interface MedicalNetFeatureFixture {
  /** Two volumes (2, 1, 23, 32, 18): an ellipsoid of noisy intensity, the second at 2.5× the first's scale. */
  readonly input: Tensor;
  /** `input` standardised as MONAI's PerceptualLoss does (one mean and unbiased std over the whole tensor). */
  readonly standardised: Tensor;
  /** layer4's output for `standardised`, the network in eval mode: (2, 64, 3, 4, 3). */
  readonly features: Tensor;
}

/** The fixture's tensors, new engine tensors for the caller to free (or to leave to a `tidy`). */
export async function readMedicalNetFeatures(): Promise<MedicalNetFeatureFixture> {
  const { tensors } = await loadSafetensors(MEDICALNET_FEATURES);
  const read = (name: string) => rawToTensor(tensors[name]);
  return { input: read('input'), standardised: read('standardised'), features: read('features') };
}

/** The largest absolute difference, and the largest one relative to the expected value where that is above 1e-3. */
export function differences(actual: Tensor, expected: Tensor): { abs: number; rel: number; within: boolean } {
  const a = actual.toTypedArray<'float32'>();
  const e = expected.toTypedArray<'float32'>();
  let abs = 0;
  let rel = 0;
  let within = a.length === e.length;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    abs = Math.max(abs, d);
    if (Math.abs(e[i]) > 1e-3) rel = Math.max(rel, d / Math.abs(e[i]));
    // 1e-5 absolute or 1e-4 relative, element by element.
    if (!(d <= 1e-5 || d <= 1e-4 * Math.abs(e[i]))) within = false;
  }
  return { abs, rel, within };
}
