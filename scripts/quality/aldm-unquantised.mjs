// What the codebook's rounding costs an ALDM first stage (issue 19): each scan of the first held-out cases through the
// run's encoder, then decoded twice, from its quantised latent (what sampling and `mrsynth reconstruct` decode) and
// from the encoder's output itself, unquantised. Scored on the model grid in the run's units over the voxels above the
// units' floor (the brain), PSNR with range 2. If the two agree, the nearest codes lose nothing the decoder could use,
// and a larger codebook alone (with this encoder and decoder) cannot raise the reconstruction.
//
//   node scripts/quality/aldm-unquantised.mjs --run STAGE1_RUN --data DIR [--cases N]
//
// Uses the built package (dist/).
import { parseArgs } from 'node:util';
import { data, nifti, noGrad, runs, tidy, transforms } from '../../dist/index.js';
import { parseAldmConfig } from '../../dist/methods/aldm/index.js';
import { VQModel } from '../../dist/models/aldm/index.js';
import { loadRawIntoModule } from '../../dist/nn/index.js';
import { tensorToVolumeData, volumesToTensor } from '../../dist/pipelines/index.js';
import { meanStd } from './scan-units.mjs';

const { values } = parseArgs({ options: { run: { type: 'string' }, data: { type: 'string' }, cases: { type: 'string', default: '6' } } });
if (values.run === undefined || values.data === undefined) throw new Error('give --run RUN (an ALDM run of any stage) and --data DIR');
const { config, weightPaths } = await runs.readRun(values.run);
const vqgan = new VQModel(parseAldmConfig(config.methodConfig).autoencoder);
loadRawIntoModule(vqgan, (await runs.readRunWeightsFile(weightPaths.autoencoder, 'aldm-unquantised')).tensors);
vqgan.eval();
// aldm's units run from −1 (the background of skull-stripped data) to +1.
const floor = -1;
const { cases } = await data.discoverDataset(values.data);
const scores = {};
for (const c of cases.slice(0, Number(values.cases))) {
  for (const [contrast, path] of Object.entries(c.contrasts)) {
    const { volumes } = transforms.preprocess({ [contrast]: (await nifti.readNifti(path)).volume }, config.preprocess);
    const reference = volumes[contrast].data;
    const image = volumesToTensor([volumes[contrast]]);
    const [quantised, unquantised] = noGrad(() => tidy(() => {
      const z = vqgan.quantConv.forward(vqgan.encoder.forward(image));
      return [tensorToVolumeData(vqgan.decode(vqgan.quantize.forward(z).zQ)), tensorToVolumeData(vqgan.decode(z))];
    }));
    image.dispose();
    const psnr = (prediction) => {
      let sum = 0, n = 0;
      for (let i = 0; i < reference.length; i++) if (reference[i] > floor + 1e-3) { sum += (prediction[i] - reference[i]) ** 2; n += 1; }
      return 10 * Math.log10(4 / (sum / n));
    };
    (scores[contrast] ??= []).push([psnr(quantised), psnr(unquantised)]);
  }
}
console.log('| contrast | cases | decoded from the nearest codes | decoded unquantised |\n|---|---|---|---|');
for (const [contrast, rows] of Object.entries(scores)) {
  console.log(`| ${contrast} | ${rows.length} | ${meanStd(rows.map((r) => r[0]))} | ${meanStd(rows.map((r) => r[1]))} |`);
}
