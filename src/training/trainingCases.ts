/**
 * The cases a conditional model learns from: which contrasts are target and conditions, the check that every case
 * has them, and each case read, preprocessed once and kept in memory as model-ready tensors.
 */
import type { Case, Contrast } from '../data/index.js';
import { readNifti } from '../io/nifti/index.js';
import { volumesToTensor, type DiffusionBatch } from '../pipelines/index.js';
import { keep, type Tensor } from '../tensor/index.js';
import { preprocess } from '../transforms/index.js';
import type { PreprocessConfig } from '../transforms/index.js';
import { assert } from '../util/index.js';
import { voxelSizes, type Vec3 } from '../volume/index.js';
import type { Shape3, Volume } from '../volume/index.js';

export interface ConditionalRoles {
  readonly target: Contrast;
  /** The model's condition channels, in order. */
  readonly conditions: readonly Contrast[];
}

/** A preprocessed case: its tensors are kept (outside every scope) until {@link disposeTrainingCases}. */
export interface TrainingCase {
  readonly id: string;
  /** The model grid, (nx, ny, nz). */
  readonly shape: Shape3;
  /** Its voxel size in mm per axis. */
  readonly voxelSize: Vec3;
  readonly batch: DiffusionBatch;
  /**
   * The case's images as loaded, where a plan prepared `batch` into something else (latents): kept for the first case
   * validation runs on, which a sampled validation scores against.
   */
  readonly images?: DiffusionBatch;
  /** `batch` of the case mirrored left–right (and prepared as `batch` is), for training cases when the run flips (flipLr). */
  readonly mirrored?: DiffusionBatch;
}

/** Refuses, naming each case and the contrasts it lacks, when any case cannot serve as a training example. */
export function checkCasesHaveRoles(cases: readonly Case[], roles: ConditionalRoles): void {
  const lacking = cases.flatMap((c) => {
    const missing = [roles.target, ...roles.conditions].filter((contrast) => c.contrasts[contrast] === undefined);
    return missing.length > 0 ? [`${c.id} lacks ${missing.join(', ')}`] : [];
  });
  assert(lacking.length === 0, () => `checkCasesHaveRoles: every case needs the target ${roles.target} and the conditions `
    + `${roles.conditions.join(', ')}, but ${lacking.length} do not: ${lacking.slice(0, 10).join('; ')}${lacking.length > 10 ? '; …' : ''}`);
}

/** Reads a case's contrasts and preprocesses them together (one grid, one crop), as the model will see them. */
export async function loadTrainingCase(c: Case, roles: ConditionalRoles, config: PreprocessConfig): Promise<TrainingCase> {
  const contrasts = [...roles.conditions, roles.target];
  const volumes: Record<string, Volume> = {};
  for (const contrast of contrasts) volumes[contrast] = (await readNifti(c.contrasts[contrast]!)).volume;
  let result;
  try {
    result = preprocess(volumes, config).volumes;
  } catch (error) {
    throw new Error(`loadTrainingCase(${c.id}): ${(error as Error).message}`, { cause: error });
  }
  const batch: DiffusionBatch = {
    conditions: keep(volumesToTensor(roles.conditions.map((contrast) => result[contrast]))),
    target: keep(volumesToTensor([result[roles.target]])),
  };
  return { id: c.id, shape: result[roles.target].shape, voxelSize: voxelSizes(result[roles.target].affine), batch };
}

export function disposeTrainingCases(cases: readonly TrainingCase[]): void {
  for (const c of cases) {
    for (const batch of [c.batch, c.images, c.mirrored]) {
      batch?.conditions.dispose();
      batch?.target.dispose();
    }
  }
}

/** `c` with its mirror image beside it: every volume flipped along the model grid's first axis (left–right after RAS). */
export function withMirror(c: TrainingCase): TrainingCase {
  const mirror = (t: Tensor) => keep(t.flip(2));
  return { ...c, mirrored: { conditions: mirror(c.batch.conditions), target: mirror(c.batch.target) } };
}
