/**
 * Writing one synthesised contrast: its samples' voxel-wise mean (and, where asked, their standard deviation and each
 * sample) mapped back from the model grid onto the input's grid and header geometry, the sidecar, and the image last.
 * The image is what marks the contrast as done, so an interrupted write never looks complete; every file is written
 * atomically.
 */
import { basename, dirname } from 'node:path';
import type { Contrast } from '../data/index.js';
import { makeFolder, removeOrphanedTemporaries, writeFileAtomic } from '../io/index.js';
import { writeNifti, type NiftiImage } from '../io/nifti/index.js';
import { invertPreprocess, type InverseRecord } from '../transforms/index.js';
import type { SyntheticFiles } from './syntheticFiles.js';

/** Which voxels a written volume holds: the mean of the samples, their standard deviation, or sample k (from 1). */
export type SynthesisMap = { readonly kind: 'image' | 'std' } | { readonly kind: 'sample'; readonly index: number };

export interface SynthesisToWrite {
  readonly files: SyntheticFiles;
  readonly contrast: Contrast;
  /** The samples, on the model grid, in the run's units. */
  readonly samples: readonly Float32Array[];
  /** With two samples or more, also write their standard deviation (`files.std`) and each sample (`samplePath`). */
  readonly saveStd: boolean;
  readonly saveSamples: boolean;
  /** The input whose header geometry (qform, sform, pixdim) every output carries. */
  readonly like: NiftiImage;
  /** How the model grid was made from the input's, undone for every output. */
  readonly record: InverseRecord;
  /** Value of the input-grid voxels outside the model grid in the image and the samples (the units' floor); the std's is 0. */
  readonly fill: number;
  /** The NIfTI descrip of each map (≤ 80 characters), carrying the synthetic mark. */
  readonly description: (map: SynthesisMap) => string;
  /** The sidecar's JSON, written next to the image. */
  readonly sidecar: unknown;
  /** The image exists from an earlier synthesis, which this one replaces. */
  readonly replaces: boolean;
}

/** The path of sample `index` (from 1) beside `image`. */
export function samplePath(files: SyntheticFiles, index: number): string {
  return files.std.replace(/_std(\.nii(?:\.gz)?)$/i, `_sample-${index}$1`);
}

/** Every file a synthesis of `samples` samples writes, image last. */
export function synthesisPaths(files: SyntheticFiles, samples: number, save: { std: boolean; samples: boolean }): string[] {
  const many = samples > 1;
  return [
    ...(many && save.std ? [files.std] : []), ...(many && save.samples ? Array.from({ length: samples }, (_, k) => samplePath(files, k + 1)) : []),
    files.sidecar, files.image,
  ];
}

/** Removes temporary files an interrupted write of these outputs left in their folders; returns what was removed. */
export async function removeLeftovers(paths: readonly string[]): Promise<{ files: string[]; bytes: number }> {
  const removed = { files: [] as string[], bytes: 0 };
  for (const dir of new Set(paths.map((path) => dirname(path)))) {
    const leftovers = await removeOrphanedTemporaries(dir, paths.filter((path) => dirname(path) === dir).map((path) => basename(path)));
    removed.files.push(...leftovers.files);
    removed.bytes += leftovers.bytes;
  }
  return removed;
}

/** Writes `synthesis`; returns the files written, the image last. */
export async function writeSynthesis(synthesis: SynthesisToWrite): Promise<string[]> {
  const { files, samples } = synthesis;
  const { mean, std } = meanAndStd(samples);
  const written: string[] = [];
  const write = async (path: string, data: Float32Array, map: SynthesisMap) => {
    const volume = invertPreprocess(synthesis.record, data, { contrast: synthesis.contrast, fill: map.kind === 'std' ? 0 : synthesis.fill });
    await makeFolder(dirname(path));
    // Only the image is guarded (the plan refused an image in the way that is not an earlier synthesis, and without
    // force any earlier one); the maps beside it belong to it.
    await writeNifti(path, volume, {
      like: synthesis.like.header, datatype: 'float32', overwrite: map.kind !== 'image' || synthesis.replaces, description: synthesis.description(map),
    });
    written.push(path);
  };
  if (std !== undefined && synthesis.saveStd) await write(files.std, std, { kind: 'std' });
  if (std !== undefined && synthesis.saveSamples) {
    for (const [k, sample] of samples.entries()) await write(samplePath(files, k + 1), sample, { kind: 'sample', index: k + 1 });
  }
  await makeFolder(dirname(files.sidecar));
  await writeFileAtomic(files.sidecar, new TextEncoder().encode(`${JSON.stringify(synthesis.sidecar, null, 2)}\n`));
  written.push(files.sidecar);
  await write(files.image, mean, { kind: 'image' });
  return written;
}

/** Voxel-wise mean and, for two or more samples, sample standard deviation (N − 1), accumulated in float64. */
export function meanAndStd(samples: readonly Float32Array[]): { mean: Float32Array; std?: Float32Array } {
  if (samples.length === 1) return { mean: samples[0] };
  const n = samples.length;
  const mean = new Float32Array(samples[0].length);
  const std = new Float32Array(samples[0].length);
  for (let v = 0; v < mean.length; v++) {
    let sum = 0;
    for (const s of samples) sum += s[v];
    const m = sum / n;
    let squares = 0;
    for (const s of samples) squares += (s[v] - m) ** 2;
    mean[v] = m;
    std[v] = Math.sqrt(squares / (n - 1));
  }
  return { mean, std };
}
