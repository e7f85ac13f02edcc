import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseNifti, writeNifti } from '../io/nifti/index.js';
import { anatomyFromVolume, SRI24_TISSUES_PATH } from '../phantom/index.js';
import { phantomCaseFiles } from '../phantom/index.js';
import { PhantomGenerator, type PhantomStyle } from '../phantom/index.js';
import { phantomGrid } from '../phantom/index.js';
import type { Shape3 } from '../volume/index.js';

export interface PhantomDatasetOptions {
  readonly cases: number;
  readonly shape: Shape3;
  readonly spacing: number;
  readonly seed: number;
  readonly style?: PhantomStyle;
  /** Contrasts to leave out of the case with this index. */
  readonly drop?: { readonly index: number; readonly contrast: string };
}

/** Writes a small phantom data set (as `mrsynth phantom` would) into `dir`. */
export async function writePhantomDataset(dir: string, options: PhantomDatasetOptions): Promise<void> {
  const anatomy = anatomyFromVolume(parseNifti(readFileSync(SRI24_TISSUES_PATH), SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
  const generator = new PhantomGenerator(anatomy, phantomGrid(anatomy, options.shape, options.spacing));
  for (let index = 0; index < options.cases; index++) {
    const phantom = generator.generate(options.seed, index, options.style ?? 'brats');
    for (const file of phantomCaseFiles(phantom)) {
      if (options.drop?.index === index && file.path.toLowerCase().includes(`_${options.drop.contrast}.`)) continue;
      const path = join(dir, file.path);
      mkdirSync(dirname(path), { recursive: true });
      await writeNifti(path, file.volume, { datatype: file.datatype });
    }
  }
}
