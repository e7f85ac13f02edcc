// Where a quality run's model stands between two affine references, beside the oracle baseline the gate uses
// (the least-squares map from the best source contrast, fitted on each held-out case against its own reference):
//  - trained baseline: the same map, fitted once on all the training phantoms pooled and applied unchanged to the
//    held-out cases. Like the model it never reads a held-out reference, so it shows what the inputs alone give.
//  - recalibrated model: the model's output passed through the least-squares affine map onto the reference, the
//    freedom the oracle baseline has. What remains is error no per-case brightness and contrast can explain.
// Every figure is brain-masked PSNR/SSIM in the cWDM [0, 1] units, scored by the library code the demo scores with.
//
//   node scripts/quality/cwdm-affine-bounds.mjs QUALITY/<target>-cpu <target>     # after cwdm-phantom.sh
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The build the quality scripts run: case discovery, NIfTI reading, the cWDM units, masks, scores and the baseline.
import { applyAffineMap, fitAffineBaseline, fitPooledAffineMap } from '../../dist/baselines/index.js';
import { contrastFileName, discoverDataset } from '../../dist/data/index.js';
import { readNifti } from '../../dist/io/nifti/index.js';
import { mean, regionMasks, sampleStd, scoreRegions, toModelUnits } from '../../dist/metrics/index.js';

const [runDir, target] = process.argv.slice(2);
if (!runDir || !target) {
  console.error('usage: node scripts/quality/cwdm-affine-bounds.mjs QUALITY/<target>-cpu <target>');
  process.exit(2);
}

/** A case's contrasts in the cWDM units, and its brain mask (non-zero reference voxels, as the demo masks). */
async function loadCase(c) {
  const stored = {};
  for (const [contrast, path] of Object.entries(c.contrasts)) stored[contrast] = (await readNifti(path)).volume;
  if (!stored[target]) throw new Error(`case ${c.id} has no ${target} volume (it has ${Object.keys(stored).join(', ')})`);
  const masks = regionMasks(['brain'], stored[target].data, undefined, c.id);
  const units = Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, toModelUnits(v, 'cwdm')]));
  return { units, masks, brain: masks.get('brain') };
}

async function main() {
  // The trained baseline: one map fitted on the brain voxels of every training phantom pooled.
  const training = await discoverDataset(join(runDir, 'data', 'train'));
  const pooled = [];
  for (const c of training.cases) {
    // Only the brain voxels are kept, so twenty full-size phantoms pool into what their brains hold.
    const { units, brain } = await loadCase(c);
    const pick = (data) => data.filter((_, v) => brain[v] !== 0);
    const sources = Object.fromEntries(Object.entries(units).filter(([k]) => k !== target).map(([k, v]) => [k, pick(v.data)]));
    const kept = pick(units[target].data);
    pooled.push({ sources, target: kept, mask: new Uint8Array(kept.length).fill(1) });
  }
  const trainedFit = fitPooledAffineMap(pooled);
  const offset = `${trainedFit.b < 0 ? '−' : '+'} ${Math.abs(trainedFit.b).toFixed(4)}`;
  console.log(`trained baseline: ${target} ≈ ${trainedFit.a.toFixed(4)}·${trainedFit.source} ${offset}, ` +
    `fitted on the ${trainedFit.voxels} brain voxels of ${training.cases.length} training phantoms`);

  const demo = new Map(JSON.parse(readFileSync(join(runDir, 'demo-scores.json'), 'utf8')).map((row) => [row.case, row]));
  const heldOut = await discoverDataset(join(runDir, 'data', 'heldout'));
  const rows = [];
  for (const c of heldOut.cases) {
    const { units, masks, brain } = await loadCase(c);
    const reference = units[target];
    const score = (data) => scoreRegions({ ...reference, data }, reference, masks, { dataRange: 1 }).get('brain');

    const trained = applyAffineMap(units[trainedFit.source].data, trainedFit.a, trainedFit.b, brain);

    // The one-source form of the baseline fit is exactly the least-squares map of the model's output onto the
    // reference; the output is passed under the target's name only because the fit keys its sources by contrast.
    const synthesised = (await readNifti(join(runDir, 'synth', c.id, contrastFileName(c, target)))).volume.data;
    const recalibrated = fitAffineBaseline({ [target]: synthesised }, reference.data, brain).prediction;

    const scored = demo.get(c.id);
    if (!scored) throw new Error(`${join(runDir, 'demo-scores.json')} has no row for held-out case ${c.id}`);
    rows.push({ id: c.id, model: scored.model.brain, oracle: scored.baseline.brain, trained: score(trained), recalibrated: score(recalibrated) });
  }

  const columns = ['model', 'oracle', 'trained', 'recalibrated'];
  console.log(`case               ${columns.map((k) => k.padStart(14)).join('')}   (brain PSNR dB)`);
  for (const row of rows) console.log(`${row.id.padEnd(19)}${columns.map((k) => row[k].psnr.toFixed(2).padStart(14)).join('')}`);
  for (const k of columns) {
    const psnr = rows.map((row) => row[k].psnr);
    const ssim = rows.map((row) => row[k].ssim);
    const wins = k === 'oracle' ? '' : `, above the oracle baseline on ${rows.filter((row) => row[k].psnr > row.oracle.psnr).length} of ${rows.length}`;
    console.log(`${k.padEnd(13)} PSNR ${mean(psnr).toFixed(2)} ± ${sampleStd(psnr).toFixed(2)} dB  SSIM ${mean(ssim).toFixed(4)} ± ${sampleStd(ssim).toFixed(4)}${wins}`);
  }
  const modelOverTrained = rows.filter((row) => row.model.psnr > row.trained.psnr).length;
  console.log(`model above the trained baseline on ${modelOverTrained} of ${rows.length} cases`);
}

// A missing folder or case is a message naming it, not a stack trace.
main().catch((error) => {
  console.error(`cwdm-affine-bounds: ${error.message}`);
  process.exit(1);
});
