import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orientationCodes, readNifti, readNiftiHeader, writeNifti } from '../io/nifti/index.js';
import { memory } from '../tensor/index.js';
import { caseSeed } from './caseSeed.js';
import {
  ALDM_TEST_PREPROCESS, aldmFirstStageOf, phantom, runWithFirstWeight, writeAldmRun, writeCase, writeRun,
} from './completionFixtures.testSupport.js';
import type { SynthesisSidecar } from './synthesisSidecar.js';
import { translateCases, type TranslateCasesOptions, type TranslationOutcome } from './translateCases.js';

// Two reverse steps of the tiny ALDM: every path through translation, in seconds.
const sampler = { kind: 'ddim', steps: 2, eta: 1 } as const;

let root: string;
let aldm: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mrsynth-translate-'));
  aldm = await writeAldmRun(join(root, 'run-aldm'), { seed: 3 });
});
after(() => rmSync(root, { recursive: true, force: true }));

const translate = (options: Omit<TranslateCasesOptions, 'run'> & { run?: string }) =>
  translateCases({ sampler, run: aldm, ...options });
const statusOf = (outcomes: readonly TranslationOutcome[]) => Object.fromEntries(outcomes.map((o) => [o.caseId, o.status]));
const reasonOf = (outcome: TranslationOutcome) => ('reason' in outcome ? outcome.reason : `no reason: ${outcome.status}`);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const readSidecar = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as SynthesisSidecar;
const GEOMETRY = ['qform_code', 'sform_code', 'quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z',
  'srow_x', 'srow_y', 'srow_z', 'pixdim', 'xyzt_units'] as const;

describe('translateCases: one source into every other contrast (BraTS 2021 naming, stored LPS)', () => {
  let data: string;
  let dir: string;
  let outcomes: TranslationOutcome[];
  const output = (target: string) => join(dir, `Ph_001_${target}_from-t1.nii.gz`);

  before(async () => {
    data = join(root, 'one');
    dir = await writeCase(data, 'brats2021', 'Ph_001', 0, ['t1', 't1ce', 't2', 'flair']);
    const before = memory().numTensors;
    outcomes = await translate({ input: data, source: 't1' });
    assert.equal(memory().numTensors, before, 'translation frees every tensor it makes');
  });

  test('writes <case>_<target>_from-t1.nii.gz for each other contrast, on the source\'s grid and header geometry, float32, marked', async () => {
    assert.deepEqual(statusOf(outcomes), { Ph_001: 'translated' });
    const source = await readNifti(join(dir, 'Ph_001_t1.nii.gz'));
    assert.equal(orientationCodes(source.volume.affine), 'LPS');
    for (const target of ['t1ce', 't2', 'flair']) {
      const out = await readNifti(output(target));
      assert.deepEqual(out.volume.shape, source.volume.shape);
      for (const key of GEOMETRY) assert.deepEqual(out.header[key], source.header[key], `${target}: ${key}`);
      assert.equal(out.header.datatype, 'float32');
      assert.equal(out.header.descrip, `mrsynth aldm synthetic ${target} from t1, [-1,1] units`);
      // Background (where the source is 0) is at the floor of ALDM's [−1, 1]; the brain is not.
      const brain = Array.from(source.volume.data.keys()).filter((v) => source.volume.data[v] !== 0);
      assert.ok(out.volume.data.every((value, v) => source.volume.data[v] !== 0 || value === -1), `${target}: background at -1`);
      assert.ok(brain.some((v) => out.volume.data[v] !== -1), `${target}: the brain holds a synthesis`);
    }
    assert.notDeepEqual((await readNifti(output('t2'))).volume.data, (await readNifti(output('flair'))).volume.data, 'each target its own class');
    assert.ok(!existsSync(join(dir, 'Ph_001_t1_from-t1.nii.gz')));
  });

  test('the sidecar names the source, the target\'s class, the seed from (seed, case, target, source), the source\'s checksum', () => {
    const sidecar = readSidecar(join(dir, 'Ph_001_flair_from-t1.json'));
    assert.equal(sidecar.contrast, 'flair');
    assert.deepEqual(sidecar.translation, { source: 't1', classLabel: 3 });
    assert.deepEqual(sidecar.seed, { base: 0, derived: caseSeed(0, 'Ph_001', 'flair', { source: 't1' }).toString() });
    assert.deepEqual(sidecar.inputs, [{ contrast: 't1', path: 'Ph_001_t1.nii.gz', sha256: sha256(join(dir, 'Ph_001_t1.nii.gz')) }]);
    assert.deepEqual(sidecar.sampler, sampler);
    assert.equal(sidecar.model.config.method, 'aldm');
    assert.match(sidecar.units, /\[-1, 1\]/);
    assert.match(sidecar.mask, /the source is at or below -1 .* set to -1/);
    assert.deepEqual(sidecar.preprocess.steps.map((s) => s.kind), ALDM_TEST_PREPROCESS.steps.map((s) => s.kind));
  });

  test('the output is the same with the case\'s other files deleted: only the source is read', async () => {
    const alone = join(root, 'alone');
    mkdirSync(join(alone, 'Ph_001'), { recursive: true });
    cpSync(join(dir, 'Ph_001_t1.nii.gz'), join(alone, 'Ph_001', 'Ph_001_t1.nii.gz'));
    assert.deepEqual(statusOf(await translate({ input: join(alone, 'Ph_001'), source: 't1', targets: ['flair'] })), { Ph_001: 'translated' });
    assert.deepEqual((await readNifti(join(alone, 'Ph_001', 'Ph_001_flair_from-t1.nii.gz'))).volume.data, (await readNifti(output('flair'))).volume.data);
  });

  test('a second run is already done and leaves the files alone; --force redoes them to the same bytes', async () => {
    const before = sha256(output('t2'));
    assert.deepEqual(statusOf(await translate({ input: data, source: 't1' })), { Ph_001: 'already-done' });
    assert.deepEqual(statusOf(await translate({ input: data, source: 't1', force: true })), { Ph_001: 'translated' });
    assert.equal(sha256(output('t2')), before);
  });

  test('a case stopped partway continues: only the missing translations are made, to the same bytes; earlier ones made otherwise are refused', async () => {
    const resumed = join(root, 'resumed');
    cpSync(data, resumed, { recursive: true });
    const caseDir = join(resumed, 'Ph_001');
    const file = (target: string, ext = 'nii.gz') => join(caseDir, `Ph_001_${target}_from-t1.${ext}`);
    // What a stop between two sources' writes leaves: some translations written, the others not.
    rmSync(file('flair'));
    rmSync(file('flair', 'json'));
    const t2Sidecar = readFileSync(file('t2', 'json'));
    const [continued] = await translate({ input: resumed, source: 't1' });
    assert.equal(continued.status, 'translated');
    assert.deepEqual(continued.status === 'translated' && continued.translations.map((t) => t.target), ['flair']);
    assert.equal(sha256(file('flair')), sha256(output('flair')));
    assert.ok(readFileSync(file('t2', 'json')).equals(t2Sidecar), 'an earlier translation was rewritten');
    // Other settings would mix two kinds of output in one data set: refused, naming what differs, partly done or not.
    rmSync(file('flair'));
    const [otherSeed] = await translate({ input: resumed, source: 't1', seed: 1 });
    assert.match(reasonOf(otherSeed), /has .*Ph_001_t1ce_from-t1\.nii\.gz from an earlier translation made otherwise: seed 0 \(now 1\); pass --force to redo the case/);
    const [otherSampler] = await translate({ input: data, source: 't1', sampler: { kind: 'ddim', steps: 3, eta: 1 } });
    assert.match(reasonOf(otherSampler), /made otherwise: sampler \{"kind":"ddim","steps":2,"eta":1\} \(now \{"kind":"ddim","steps":3,"eta":1\}\)/);
  });

  test('a file in the way that mrsynth did not write is never replaced; a case without the source is refused, naming it', async () => {
    const other = join(root, 'inway');
    const caseDir = await writeCase(other, 'brats2021', 'Ph_002', 1, ['t1', 't2']);
    cpSync(join(caseDir, 'Ph_002_t2.nii.gz'), join(caseDir, 'Ph_002_t2_from-t1.nii.gz'));
    const [inWay] = await translate({ input: other, source: 't1', targets: ['t2'], force: true });
    assert.match(reasonOf(inWay), /would write .*Ph_002_t2_from-t1\.nii\.gz, which exists and was not written by mrsynth/);
    const [noSource] = await translate({ input: other, source: 'flair', targets: ['t2'] });
    assert.equal(noSource.status, 'refused');
    assert.match(reasonOf(noSource), /has no flair to translate from \(it has t1, t2\)/);
  });
});

describe('translateCases: geometry, the matrix, samples', () => {
  test('an oblique scan (sform rotated 20° about z) comes back with its own qform and sform', async () => {
    const dir = join(root, 'oblique', 'Ph_003');
    mkdirSync(dir, { recursive: true });
    const { volume } = { volume: phantom(2).contrasts.t2! };
    const [c, s] = [Math.cos(Math.PI / 9), Math.sin(Math.PI / 9)];
    const a = volume.affine;
    const rotated = Float64Array.from(a);
    for (let col = 0; col < 4; col++) {
      rotated[col] = c * a[col] - s * a[4 + col];
      rotated[4 + col] = s * a[col] + c * a[4 + col];
    }
    const path = join(dir, 'Ph_003_t2.nii.gz');
    await writeNifti(path, { ...volume, affine: rotated }, { datatype: 'int16' });
    assert.deepEqual(statusOf(await translate({ input: dir, source: 't2', targets: ['t1'] })), { Ph_003: 'translated' });
    const [input, out] = [await readNifti(path), await readNifti(join(dir, 'Ph_003_t1_from-t2.nii.gz'))];
    for (const key of GEOMETRY) assert.deepEqual(out.header[key], input.header[key], key);
    assert.deepEqual(Array.from(out.volume.affine), Array.from(input.volume.affine));
  });

  test('--matrix writes every ordered pair a case has (6 for three contrasts), each from its own seed', async () => {
    const data = join(root, 'matrix');
    const dir = await writeCase(data, 'brats2023', 'BraTS-GLI-00004-000', 3, ['t1', 't2', 'flair']);
    const [outcome] = await translate({ input: data, matrix: true });
    assert.equal(outcome.status, 'translated');
    const written = readdirSync(dir).filter((name) => name.includes('-from-') && name.endsWith('.nii.gz')).sort();
    assert.deepEqual(written, ['t1n-from-t2f', 't1n-from-t2w', 't2f-from-t1n', 't2f-from-t2w', 't2w-from-t1n', 't2w-from-t2f']
      .map((pair) => `BraTS-GLI-00004-000-${pair}.nii.gz`));
  });

  test('--samples 2 writes their mean; with saveSamples also each sample and the std, sample 1 being the one-sample result', async () => {
    const data = join(root, 'samples');
    const dir = await writeCase(data, 'brats2021', 'Ph_005', 4, ['t1']);
    await translate({ input: data, source: 't1', targets: ['t2'] });
    const one = (await readNifti(join(dir, 'Ph_005_t2_from-t1.nii.gz'))).volume.data;
    const read = async (name: string) => (await readNifti(join(dir, name))).volume.data;
    const readAll = (k: number) => Promise.all(['', '_std', ...Array.from({ length: k }, (_, i) => `_sample-${i + 1}`)]
      .map((suffix) => read(`Ph_005_t2_from-t1${suffix}.nii.gz`)));
    const sidecar = () => readSidecar(join(dir, 'Ph_005_t2_from-t1.json'));
    // Drawn one at a time, sample 1 is the one-sample translation to the bit.
    await translate({ input: data, source: 't1', targets: ['t2'], samples: 3, batch: 1, saveSamples: true, force: true });
    const alone = await readAll(3);
    assert.deepEqual(alone[2], one);
    assert.equal(sidecar().batch, 1);
    // Drawn together (the default: as many as fit), each sample still draws from its own seed: samples 1 and 2 of a
    // batch of two are the same whether a third is drawn after them, and that third, drawn alone, is the third above.
    await translate({ input: data, source: 't1', targets: ['t2'], samples: 3, batch: 2, saveSamples: true, force: true });
    const [, , ...ofThree] = await readAll(3);
    assert.deepEqual(ofThree[2], alone[4]);
    await translate({ input: data, source: 't1', targets: ['t2'], samples: 2, saveSamples: true, force: true });
    const [mean, std, first, second] = await readAll(2);
    assert.deepEqual([first, second], ofThree.slice(0, 2));
    assert.equal(sidecar().batch, 2);
    assert.deepEqual(sidecar().seed, { base: 0, derived: caseSeed(0, 'Ph_005', 't2', { source: 't1' }).toString(),
      samples: [0, 1].map((sample) => caseSeed(0, 'Ph_005', 't2', { source: 't1', sample }).toString()) });
    for (let v = 0; v < mean.length; v += 97) {
      assert.ok(Math.abs(mean[v] - (first[v] + second[v]) / 2) < 1e-6, `mean ${mean[v]} of ${first[v]}, ${second[v]}`);
      assert.ok(Math.abs(std[v] - Math.abs(first[v] - second[v]) / Math.SQRT2) < 1e-5, `std ${std[v]} of ${first[v]}, ${second[v]}`);
    }
    assert.equal((await readNiftiHeader(join(dir, 'Ph_005_t2_from-t1_sample-2.nii.gz'))).descrip, 'mrsynth aldm synthetic t2 from t1, sample 2 of 2, [-1,1] units');
    // Two targets, two batches of two each: every batch draws from its own copies of the one encoding.
    const tensors = memory().numTensors;
    const [both] = await translate({ input: data, source: 't1', targets: ['t2', 'flair'], samples: 4, batch: 2, saveSamples: true, force: true });
    assert.equal(both.status, 'translated', reasonOf(both));
    assert.equal(memory().numTensors, tensors, 'batches of copies of one encoding free every tensor they make');
    const [, , ...ofFour] = await readAll(4);
    assert.deepEqual(ofFour.slice(0, 2), ofThree.slice(0, 2));
    assert.notDeepEqual(ofFour[2], ofFour[3]);
    assert.ok(existsSync(join(dir, 'Ph_005_flair_from-t1_sample-4.nii.gz')));
  });

  test('firstStage decodes the first stage\'s own translation: the same for any seed, unlike sampling, recorded without sampler or seed', async () => {
    const data = join(root, 'first-stage');
    const dir = await writeCase(data, 'brats2021', 'Ph_009', 9, ['t1']);
    const image = join(dir, 'Ph_009_flair_from-t1.nii.gz');
    assert.deepEqual(statusOf(await translate({ input: data, source: 't1', targets: ['flair'], firstStage: true, seed: 1 })), { Ph_009: 'translated' });
    const first = (await readNifti(image)).volume.data;
    const sidecar = readSidecar(join(dir, 'Ph_009_flair_from-t1.json'));
    assert.deepEqual([sidecar.sampler, sidecar.seed, sidecar.samples, sidecar.translation], [null, null, 1, { source: 't1', classLabel: 3, firstStage: true }]);
    await translate({ input: data, source: 't1', targets: ['flair'], firstStage: true, seed: 2, force: true });
    assert.deepEqual((await readNifti(image)).volume.data, first);
    // Named by the first stage's weights, not the U-Net's: current while a diffusion stage trains on, unlike a sampled output.
    assert.equal(sidecar.model?.weightsSha256, sha256(join(aldm, 'autoencoder.safetensors')));
    const retrained = await runWithFirstWeight(aldm, join(root, 'run-aldm-unet-retrained'), 'unet.safetensors', 0.25);
    assert.deepEqual(statusOf(await translate({ input: data, run: retrained, source: 't1', targets: ['flair'], firstStage: true })),
      { Ph_009: 'already-done' });
    await translate({ input: data, source: 't1', targets: ['flair'], seed: 1, force: true });
    assert.notDeepEqual((await readNifti(image)).volume.data, first);
    assert.equal(readSidecar(join(dir, 'Ph_009_flair_from-t1.json')).translation?.firstStage, undefined);
    assert.equal(readSidecar(join(dir, 'Ph_009_flair_from-t1.json')).model?.weightsSha256, sha256(join(aldm, 'unet.safetensors')));
    assert.match(reasonOf((await translate({ input: data, run: retrained, source: 't1', targets: ['flair'], seed: 1 }))[0]),
      /made otherwise: the model's weights \(SHA-256\)/);
    await assert.rejects(translate({ input: data, source: 't1', firstStage: true, samples: 2 }), /the first stage's translation is deterministic: it takes one sample, got 2/);
    const cwdm = await writeRun(join(root, 'run-cwdm-first-stage'), 't2', ['t1'], 4);
    await assert.rejects(translate({ input: data, run: cwdm, source: 't1', firstStage: true }), /is a cwdm model, which has no first stage that translates by itself/);
  });

  test('a stage-2 run (the first stage alone) translates with firstStage as the whole model over it does; it samples nothing, '
    + 'and a stage-1 run, whose MS-SPADE is untrained, does neither: each refused before any case is read', async () => {
    const data = join(root, 'first-stage-runs');
    const dir = await writeCase(data, 'brats2021', 'Ph_010', 10, ['t1']);
    const image = join(dir, 'Ph_010_t2_from-t1.nii.gz');
    await translate({ input: data, source: 't1', targets: ['t2'], firstStage: true });
    const whole = (await readNifti(image)).volume.data;
    const spade = await aldmFirstStageOf(aldm, join(root, 'run-aldm-spade'), 'spade');
    assert.deepEqual(statusOf(await translate({ input: data, run: spade, source: 't1', targets: ['t2'], firstStage: true, force: true })),
      { Ph_010: 'translated' });
    assert.deepEqual((await readNifti(image)).volume.data, whole);
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    await assert.rejects(translate({ input: data, run: spade, source: 't1' }), new RegExp(`run ${spade} cannot sample: the run holds ALDM's first `
      + 'stage only .*translates by MS-SPADE alone \\(mrsynth translate --first-stage\\); it samples once a diffusion stage is trained on it'));
    const autoencoder = await aldmFirstStageOf(aldm, join(root, 'run-aldm-autoencoder'), 'autoencoder');
    await assert.rejects(translate({ input: data, run: autoencoder, source: 't1', firstStage: true }),
      /cannot translate with its first stage: the run is ALDM's stage 1, its VQ-GAN autoencoder alone: it reconstructs scans .*its MS-SPADE translates once a spade stage is trained on it/);
    await assert.rejects(translate({ input: data, run: autoencoder, source: 't1' }), /cannot sample: the run is ALDM's stage 1/);
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
  });

  test('one scan given by itself (file): named after it, into the file named as out', async () => {
    const dir = join(root, 'file');
    mkdirSync(dir, { recursive: true });
    const source = join(dir, 'sub-01_t1.nii.gz');
    await writeNifti(source, phantom(5).contrasts.t1!, { datatype: 'int16' });
    assert.deepEqual(statusOf(await translate({ file: source, source: 't1', targets: ['flair'] })), { 'sub-01': 'translated' });
    assert.ok(existsSync(join(dir, 'sub-01_flair_from-t1.nii.gz')));
    const out = join(root, 'file-out', 'flair.nii.gz');
    mkdirSync(join(root, 'file-out'));
    assert.deepEqual(statusOf(await translate({ file: source, source: 't1', targets: ['flair'], out })), { 'sub-01': 'translated' });
    assert.deepEqual((await readNifti(out)).volume.data, (await readNifti(join(dir, 'sub-01_flair_from-t1.nii.gz'))).volume.data);
  });
});

describe('translateCases: refusals (before any sampling) and a sampling that fails', () => {
  let data: string;
  before(async () => {
    data = join(root, 'refusals');
    await writeCase(data, 'brats2021', 'Ph_006', 6, ['t1', 't2']);
  });

  test('a source or target the model lacks, equal source and target, a target twice: refused before any case is read', async () => {
    await assert.rejects(translate({ input: data, source: 'pd' }), /translates between t1, t1ce, t2, flair; the source pd is not one of them/);
    await assert.rejects(translate({ input: data, source: 't1', targets: ['pd'] }), /the target pd is not one of them/);
    await assert.rejects(translate({ input: data, source: 't1', targets: ['t1'] }), /the source and a target are both t1/);
    await assert.rejects(translate({ input: data, source: 't1', targets: ['t2', 't2'] }), /the target t2 is listed twice/);
    await assert.rejects(translate({ input: data }), /give the source contrast/);
    await assert.rejects(translate({ input: join(root, 'nowhere'), source: 't1' }), /nowhere/);
  });

  test('a run of another resolution, an unreadable scan, a case over the memory limit: that case only, by name; the rest go on', async () => {
    const coarse = await writeAldmRun(join(root, 'run-coarse'), { seed: 3, voxelSize: [3, 3, 3] });
    const [refused] = await translate({ input: data, run: coarse, source: 't1', targets: ['t2'] });
    assert.equal(refused.status, 'refused');
    assert.match(reasonOf(refused), /'s t1 comes at 9×9×9 mm on the model grid, but run .*run-coarse \(from t1\) was trained on 3×3×3 mm/);
    const allowed = await translate({ input: data, run: coarse, source: 't1', targets: ['t2'], allowVoxelSizeMismatch: true, out: join(root, 'allowed') });
    assert.deepEqual(statusOf(allowed), { Ph_006: 'translated' });

    const mixed = join(root, 'mixed');
    await writeCase(mixed, 'brats2021', 'Ph_007', 7, ['t1']);
    const broken = await writeCase(mixed, 'brats2021', 'Ph_008', 8, ['t1']);
    writeFileSync(join(broken, 'Ph_008_t1.nii.gz'), 'not a NIfTI file');
    const outcomes = await translate({ input: mixed, source: 't1', targets: ['t2'] });
    assert.deepEqual(statusOf(outcomes), { Ph_007: 'translated', Ph_008: 'failed' });
    assert.match(reasonOf(outcomes[1]), /Ph_008_t1\.nii\.gz/);

    const [tooBig] = await translate({ input: data, source: 't1', targets: ['t2'], memoryLimit: 2 ** 28, out: join(root, 'big') });
    assert.match(reasonOf(tooBig), /would need about \d\.\d\d GiB .* more than the 0\.25 GiB allowed/);
    assert.ok(!existsSync(join(root, 'big', 'Ph_006')));
  });

  test('an extreme finite weight whose translation is not finite fails the case, naming the weights, and writes nothing', async () => {
    const run = await runWithFirstWeight(aldm, join(root, 'run-extreme'), 'unet.safetensors', -3e38);
    const out = join(root, 'extreme');
    const [outcome] = await translate({ input: data, run, source: 't1', targets: ['t2'], out });
    assert.equal(outcome.status, 'failed');
    assert.match(reasonOf(outcome),
      /translating t1 into t2 gave \d+ NaN or infinite voxel\(s\) of \d+: the weights of .*run-extreme \(.*unet\.safetensors\) drive the network out of range/);
    assert.deepEqual(existsSync(out) ? readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.nii.gz')) : [], []);
  });

  test('a one-condition cWDM run translates its condition into its target, and only that', async () => {
    const cwdm = await writeRun(join(root, 'run-cwdm'), 't2', ['t1'], 4);
    const [ok] = await translate({ input: data, run: cwdm, source: 't1', sampler: { kind: 'ddim', steps: 2, eta: 0 }, out: join(root, 'cwdm') });
    assert.equal(ok.status, 'translated');
    assert.equal(readSidecar(join(root, 'cwdm', 'Ph_006', 'Ph_006_t2_from-t1.json')).translation?.classLabel, null);
    await assert.rejects(translate({ input: data, run: cwdm, source: 't2', targets: ['t1'] }), /translates t1 into t2 only/);
    const three = await writeRun(join(root, 'run-cwdm3'), 't1ce', ['t1', 't2', 'flair'], 5);
    await assert.rejects(translate({ input: data, run: three, source: 't1' }), /conditioned on 3 contrasts .* complete a case's missing contrast with this run instead/);
  });
});
