// What the quality scripts that remake held-out phantoms share: a case's seed and index from its id, and a generator on
// a stored scan's grid, so that a script can draw the same case again (with other draws, or without its noise).
import { readNifti } from '../../dist/io/nifti/index.js';
import { anatomyFromVolume, PhantomGenerator, phantomGrid, SRI24_TISSUES_PATH } from '../../dist/phantom/index.js';
import { voxelSizes } from '../../dist/volume/index.js';

/** Seed and index of a phantom case from its id (`Phantom<seed>_<index>`), as `mrsynth phantom` names BraTS-style cases. */
export function phantomKey(id) {
  const match = /^Phantom(\d+)_(\d+)$/.exec(id);
  if (!match) throw new Error(`case ${id} is not named Phantom<seed>_<index>: only BraTS-style phantom cases can be drawn again`);
  return { seed: Number(match[1]), index: Number(match[2]) };
}

/** A generator on the grid of a stored volume: its shape, and the isotropic spacing of its first axis. */
export async function generatorFor(volume) {
  const tissues = (await readNifti(SRI24_TISSUES_PATH)).volume;
  const anatomy = anatomyFromVolume(tissues, SRI24_TISSUES_PATH);
  return new PhantomGenerator(anatomy, phantomGrid(anatomy, volume.shape, voxelSizes(volume.affine)[0]));
}
