// Does an ALDM run's U-Net use its conditioning, and does the sampling path condition it as training did? The denoising loss of
// one held-out case through the sampling path's codec and denoiser (DiffusionPipeline.trainingLoss, 16 fixed draws of
// timestep and noise), with the case's own source and target class, with another case's source, and with another
// target's class. Equal losses mean the conditioning is ignored; a loss far above the run's validation loss means
// sampling conditions otherwise than training did.
//
//   node scripts/quality/aldm-conditioning.mjs --run quality-output/aldm-phantom/stage3 --data quality-output/aldm-phantom/data/heldout \
//     [--source t1] [--target t2]
//
// Uses the built library (dist/): run `npm run build` first.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { loadRun } from '../../dist/completion/loadedRun.js';
import { readNifti } from '../../dist/io/nifti/index.js';
import { preprocess } from '../../dist/transforms/index.js';
import { volumesToTensor } from '../../dist/pipelines/index.js';
import { Generator, noGrad, tensor } from '../../dist/tensor/index.js';

const { values } = parseArgs({ options: { run: { type: 'string' }, data: { type: 'string' }, source: { type: 'string', default: 't1' },
  target: { type: 'string', default: 't2' } } });
if (values.run === undefined || values.data === undefined) throw new Error('aldm-conditioning: give --run RUN and --data HELD_OUT_PHANTOMS');
const { source, target } = values;
const run = await loadRun(values.run);
const { pipeline, config } = run;
pipeline.eval();
const contrasts = config.methodConfig.contrasts;
const other = contrasts.find((c) => c !== source && c !== target);
const [first, second] = readdirSync(values.data, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const read = async (id, contrast) => (await readNifti(join(values.data, id, `${id}_${contrast}.nii.gz`))).volume;
const own = preprocess({ [source]: await read(first, source), [target]: await read(first, target) }, config.preprocess).volumes;
const another = preprocess({ [source]: await read(second, source) }, config.preprocess).volumes;
const [condition, clean, otherCondition] = [own[source], own[target], another[source]].map((v) => volumesToTensor([v]));
if (otherCondition.shape.join() !== condition.shape.join()) throw new Error(`${second}'s grid differs from ${first}'s; the phantoms share one`);
const label = (contrast) => tensor(BigInt64Array.from([BigInt(contrasts.indexOf(contrast))]));
const meanLoss = (batch) => {
  let sum = 0;
  for (let i = 0; i < 16; i++) {
    const generator = new Generator(100 + i);
    sum += pipeline.trainingLoss(batch, generator).item();
    generator.dispose();
  }
  return sum / 16;
};
noGrad(() => {
  const right = meanLoss({ conditions: condition, target: clean, classLabels: label(target) });
  const wrongCase = meanLoss({ conditions: otherCondition, target: clean, classLabels: label(target) });
  const wrongClass = meanLoss({ conditions: condition, target: clean, classLabels: label(other) });
  console.log(`${first}, ${source} → ${target}: loss ${right.toFixed(4)} with its own source and class; ${wrongCase.toFixed(4)} with ${second}'s `
    + `${source}; ${wrongClass.toFixed(4)} with the class of ${other}`);
});
pipeline.dispose();
