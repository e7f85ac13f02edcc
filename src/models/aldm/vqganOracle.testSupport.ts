/**
 * Test support (not a test file) for the VQ-GAN oracle tests: the fixture's first stage built from its `config`
 * metadata with its weights loaded strictly, and the fixture's tolerance (README: 1e-5 absolute, or 1e-4
 * relative to the reference's largest value).
 */
import assert from 'node:assert/strict';
import { Tensor, tidy } from '../../tensor/index.js';
import { fmtShape } from '../../util/index.js';
import { type AldmFixture, readAldmFixture } from './aldmFixture.testSupport.js';
import { type AutoencoderConfig, autoencoderConfigFromReference } from './autoencoderConfig.js';
import { VQModel } from './vqModel.js';

export interface VqganOracle {
  fixture: AldmFixture;
  config: AutoencoderConfig;
  /** In eval mode, `vqgan.*` loaded with strict keys and shapes. */
  model: VQModel;
}

export async function vqganOracle(): Promise<VqganOracle> {
  const fixture = await readAldmFixture();
  const config = autoencoderConfigFromReference(fixture.config);
  const model = new VQModel(config);
  tidy(() => model.loadStateDict(fixture.stateDict('vqgan'), { strict: true }));
  model.eval();
  return { fixture, config, model };
}

/** max|actual − expected|, after checking shapes; both must be floating point. */
export function maxDifference(actual: Tensor, expected: Tensor): number {
  assert.deepEqual(actual.shape, expected.shape, `shape ${fmtShape(actual.shape)} vs the fixture's ${fmtShape(expected.shape)}`);
  return tidy(() => actual.double().sub(expected.double()).abs().max().item());
}

/** Asserts max|actual − expected| ≤ max(1e-5, 1e-4·max|expected|) and returns the difference, for the report. */
export function assertMatchesFixture(actual: Tensor, expected: Tensor, what: string): number {
  const difference = maxDifference(actual, expected);
  const scale = tidy(() => expected.abs().max().item());
  const tolerance = Math.max(1e-5, 1e-4 * scale);
  assert.ok(difference <= tolerance, `${what}: max |ours − reference| = ${difference} exceeds ${tolerance}`);
  return difference;
}
