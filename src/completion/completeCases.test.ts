import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { orientationCodes, readNifti, readNiftiHeader } from '../io/nifti/index.js';
import { memory, runtimeInfo } from '../tensor/index.js';
import { packageVersion } from '../util/index.js';
import { caseSeed } from './caseSeed.js';
import { completeCases, type CaseOutcome, type CompleteCasesOptions, type CompletionEvent } from './completeCases.js';
import { parsePreprocessConfig, preprocess } from '../transforms/index.js';
import { aldmFirstStageOf, runWithFirstWeight, TEST_PREPROCESS, writeAldmRun, writeCase, writeRun } from './completionFixtures.testSupport.js';
import type { SynthesisSidecar } from './synthesisSidecar.js';

// Two reverse steps of a tiny network on a 24×24×16 model grid: every path through sampling, in seconds.
const sampler = { kind: 'ddim', steps: 2, eta: 0 } as const;

let root: string;
let runs: { t1ce: string; flair: string };

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mrsynth-complete-'));
  runs = {
    t1ce: await writeRun(join(root, 'run-t1ce'), 't1ce', ['t1', 't2', 'flair'], 1),
    flair: await writeRun(join(root, 'run-flair'), 'flair', ['t1', 't1ce', 't2'], 2),
  };
});
after(() => rmSync(root, { recursive: true, force: true }));

const complete = (options: CompleteCasesOptions) => completeCases({ sampler, ...options });
const statusOf = (outcomes: readonly CaseOutcome[]) => Object.fromEntries(outcomes.map((o) => [o.caseId, o.status]));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const readSidecar = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as SynthesisSidecar;

describe('completeCases: one missing contrast (BraTS 2021 naming, stored LPS)', () => {
  let data: string;
  let dir: string;
  const output = () => join(dir, 'Ph_001_t1ce.nii.gz');

  before(async () => {
    data = join(root, 'one');
    dir = await writeCase(data, 'brats2021', 'Ph_001', 0, ['t1', 't2', 'flair']);
  });

  test('writes <case>_t1ce.nii.gz on the inputs\' grid and header geometry, float32, marked synthetic, masked', async () => {
    const outcomes = await complete({ input: data, runs: [runs.t1ce] });
    assert.deepEqual(statusOf(outcomes), { Ph_001: 'completed' });
    const input = await readNifti(join(dir, 'Ph_001_t1.nii.gz'));
    const out = await readNifti(output());
    assert.equal(orientationCodes(input.volume.affine), 'LPS');
    assert.deepEqual(out.volume.shape, input.volume.shape);
    assert.deepEqual(Array.from(out.volume.affine), Array.from(input.volume.affine));
    for (const key of ['qform_code', 'sform_code', 'quatern_b', 'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z',
      'srow_x', 'srow_y', 'srow_z', 'pixdim', 'xyzt_units'] as const) {
      assert.deepEqual(out.header[key], input.header[key], key);
    }
    assert.equal(out.header.datatype, 'float32');
    assert.equal(out.header.descrip, 'mrsynth cwdm synthetic t1ce, [0,1] units');
    const inputs = await Promise.all(['t1', 't2', 'flair'].map((c) => readNifti(join(dir, `Ph_001_${c}.nii.gz`))));
    let brain = 0;
    out.volume.data.forEach((value, v) => {
      assert.ok(value >= 0 && value <= 1, `voxel ${v} = ${value} is outside [0, 1]`);
      if (inputs.every((i) => i.volume.data[v] === 0)) assert.equal(value, 0, `background voxel ${v}`);
      else if (value > 0) brain += 1;
    });
    assert.ok(brain > 100, `only ${brain} brain voxels are nonzero`);
    assert.ok(!readdirSync(dir).includes('Ph_001_t1ce_std.nii.gz'), 'one sample writes no std map');
  });

  test('the sidecar names the model, sampler, seed, versions and the inputs by checksum', () => {
    const sidecar = readSidecar(join(dir, 'Ph_001_t1ce.json'));
    assert.equal(sidecar.format, 'mrsynth-synthesis');
    assert.equal(sidecar.synthetic, true);
    assert.equal(sidecar.case, 'Ph_001');
    assert.equal(sidecar.contrast, 't1ce');
    assert.deepEqual(sidecar.files, { image: 'Ph_001_t1ce.nii.gz' });
    assert.match(sidecar.units, /\[0, 1\]/);
    assert.equal(sidecar.model.weightsSha256, sha256(join(runs.t1ce, 'weights.safetensors')));
    assert.equal(sidecar.model.config.target, 't1ce');
    assert.match(sidecar.model.configHash, /^[0-9a-f]{16}$/);
    assert.deepEqual(sidecar.sampler, sampler);
    assert.equal(sidecar.precision, 'fp32');
    assert.deepEqual(sidecar.seed, { base: 0, derived: caseSeed(0, 'Ph_001', 't1ce').toString() });
    assert.equal(sidecar.samples, 1);
    assert.deepEqual(sidecar.order, ['t1ce']);
    assert.deepEqual(sidecar.conditions, [
      { contrast: 't1', from: 'input' }, { contrast: 't2', from: 'input' }, { contrast: 'flair', from: 'input' }]);
    assert.equal(sidecar.placeholder, null);
    assert.deepEqual(sidecar.inputs, ['t1', 't2', 'flair'].map((c) => ({
      contrast: c, path: `Ph_001_${c}.nii.gz`, sha256: sha256(join(dir, `Ph_001_${c}.nii.gz`)),
    })));
    assert.equal(sidecar.geometryFrom, 'Ph_001_t1.nii.gz');
    assert.deepEqual(sidecar.preprocess.original.shape, [20, 24, 16]);
    assert.deepEqual(sidecar.versions, { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion, node: process.version });
  });

  test('a second run skips the case as already done and leaves the file alone; --force redoes it to the same bytes', async () => {
    const bytes = readFileSync(output());
    const modified = statSync(output()).mtimeMs;
    const again = await complete({ input: data, runs: [runs.t1ce] });
    assert.deepEqual(again, [{ caseId: 'Ph_001', status: 'already-done', outputs: [output()] }]);
    assert.equal(statSync(output()).mtimeMs, modified);
    // Asked for with other settings, the earlier output is not this completion's: refused, naming what differs, and kept.
    const otherSeed = await complete({ input: data, runs: [runs.t1ce], seed: 1 });
    assert.equal(otherSeed[0].status, 'refused');
    assert.match(otherSeed[0].status === 'refused' ? otherSeed[0].reason : '',
      /has .*Ph_001_t1ce\.nii\.gz from an earlier completion made otherwise: seed 0 \(now 1\); pass --force to redo the case/);
    const otherSamples = await complete({ input: data, runs: [runs.t1ce], samples: 2 });
    assert.match(otherSamples[0].status === 'refused' ? otherSamples[0].reason : '', /made otherwise: samples 1 \(now 2\)/);
    assert.equal(statSync(output()).mtimeMs, modified);
    const tensors = memory().numTensors;
    const forced = await complete({ input: data, runs: [runs.t1ce], force: true });
    assert.equal(memory().numTensors, tensors, 'completion frees every tensor it makes, the loaded networks included');
    assert.equal(forced[0].status, 'completed');
    assert.deepEqual(forced[0].status === 'completed' && forced[0].replaced, [output()]);
    assert.deepEqual(readFileSync(output()), bytes);
  });

  test('a file in the way that mrsynth did not write is never replaced, not even with force', async () => {
    const out = join(root, 'elsewhere');
    await writeCase(out, 'brats2021', 'Ph_001', 1, ['t1ce']);
    const before = sha256(join(out, 'Ph_001', 'Ph_001_t1ce.nii.gz'));
    // Mirroring a case folder given on its own puts its outputs straight into `out`, so point `out` at the foreign file's folder.
    const [outcome] = await complete({ input: dir, runs: [runs.t1ce], out: join(out, 'Ph_001'), force: true });
    assert.equal(outcome.status, 'refused');
    assert.match(outcome.status === 'refused' ? outcome.reason : '', /was not written by mrsynth.*never replaced, not even with --force/);
    assert.equal(sha256(join(out, 'Ph_001', 'Ph_001_t1ce.nii.gz')), before);
  });
  test('a JSON file of the user\'s where the sidecar would go is never replaced, not even with force; the case is refused naming it', async () => {
    const out = join(root, 'user-json');
    const own = join(out, 'Ph_001', 'Ph_001_t1ce.json');
    mkdirSync(dirname(own), { recursive: true });
    writeFileSync(own, '{"my": "notes"}\n');
    for (const force of [false, true]) {
      const [outcome] = await complete({ input: dir, runs: [runs.t1ce], out: join(out, 'Ph_001'), force });
      assert.equal(outcome.status, 'refused');
      assert.match(outcome.status === 'refused' ? outcome.reason : '', /Ph_001_t1ce\.json, which exists and is not a sidecar mrsynth wrote; it is never replaced/);
    }
    assert.equal(readFileSync(own, 'utf8'), '{"my": "notes"}\n');
    assert.ok(!existsSync(join(out, 'Ph_001', 'Ph_001_t1ce.nii.gz')));
  });
});

describe('completeCases: what an interrupted write of a case\'s outputs left', () => {
  test('is removed when its writer is gone, and reported; a temporary file of a live writer is left alone', async () => {
    const out = join(root, 'leftovers');
    mkdirSync(out, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const dead = `.Ph_001_t1ce.nii.gz.tmp-${gone}-0123abcd`;
    const live = `.Ph_001_t1ce.json.tmp-${process.pid}-0123abcd`;
    for (const name of [dead, live]) writeFileSync(join(out, name), new Uint8Array(2048));
    const events: CompletionEvent[] = [];
    const [outcome] = await complete({ input: join(root, 'one', 'Ph_001'), runs: [runs.t1ce], out, onProgress: (e) => events.push(e) });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(events.filter((e) => e.kind === 'leftovers'), [{ kind: 'leftovers', caseId: 'Ph_001', files: [join(out, dead)], bytes: 2048 }]);
    assert.ok(!existsSync(join(out, dead)) && existsSync(join(out, live)));
  });
});

describe('completeCases: a brain larger than the model box (a centre-cropping preprocessing, as the aldm preset)', () => {
  test('is completed inside the box, and the brain voxels cut off are reported and zero in the output', async () => {
    const cropping = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' },
      { kind: 'pad', shape: [16, 16, 16], overflow: 'centreCrop' }] });
    const run = await writeRun(join(root, 'run-cropping'), 't1ce', ['t1', 't2', 'flair'], 1, cropping);
    const out = join(root, 'cropped');
    const events: CompletionEvent[] = [];
    const [outcome] = await complete({ input: join(root, 'one', 'Ph_001'), runs: [run], out, onProgress: (e) => events.push(e) });
    assert.equal(outcome.status, 'completed');
    const lost = events.filter((e) => e.kind === 'foregroundLost');
    const inputs = Object.fromEntries(await Promise.all(['t1', 't2', 'flair'].map(async (c) =>
      [c, (await readNifti(join(root, 'one', 'Ph_001', `Ph_001_${c}.nii.gz`))).volume] as const)));
    // What the preprocessing of these inputs cuts off (its own tests check the count voxel by voxel) is what is reported.
    const pad = preprocess(inputs, cropping).record.steps.find((step) => step.kind === 'pad');
    const cut = pad !== undefined && 'foregroundLost' in pad ? pad.foregroundLost : undefined;
    assert.ok(cut !== undefined && cut > 0);
    assert.deepEqual(lost, [{ kind: 'foregroundLost', caseId: 'Ph_001', voxels: cut }]);
    // Those voxels are zero in the output (cWDM's [0, 1] outputs may be 0 inside the box too).
    const output = (await readNifti(join(out, 'Ph_001_t1ce.nii.gz'))).volume;
    const zeroed = output.data.reduce((n, v, i) => n + (v === 0 && Object.values(inputs).some((input) => input.data[i] !== 0) ? 1 : 0), 0);
    assert.ok(zeroed >= cut, `${zeroed} brain voxels are zero in the output, ${cut} were cut off`);
  });
});

describe('completeCases: the memory a case needs', () => {
  test('a case estimated above the limit is refused before its voxels are read, with the estimate and what to do; under it, it completes', async () => {
    const out = join(root, 'memory');
    const input = join(root, 'one', 'Ph_001');
    const [refused] = await complete({ input, runs: [runs.t1ce], out, memoryLimit: 0.25 * 2 ** 30 });
    assert.equal(refused.status, 'refused');
    assert.match(refused.status === 'refused' ? refused.reason : '',
      /would need about 0\.5\d GiB \(\d+ voxels\), more than the 0\.25 GiB allowed \(--max-memory.*\); use a run trained on a coarser grid/);
    assert.ok(!existsSync(join(out, 'Ph_001_t1ce.nii.gz')));
    const [done] = await complete({ input, runs: [runs.t1ce], out, memoryLimit: 2 ** 30 });
    assert.equal(done.status, 'completed');
  });

  test('the estimate adds the networks\' share to what completion holds; without resampling the model grid is the stored grid', async () => {
    const { estimateCompletionMemory } = await import('./completionMemory.js');
    const { readRunConfig } = await import('../runs/index.js');
    const config = await readRunConfig(runs.t1ce);
    const small = await writeCase(join(root, 'mem-small'), 'brats2021', 'S', 0, ['t1', 't2', 'flair']);
    const smallEstimate = await estimateCompletionMemory(join(small, 'S_t1.nii.gz'), [config], 0);
    const base = await estimateCompletionMemory(join(small, 'S_t1.nii.gz'), [], 0);
    assert.ok(smallEstimate.total > base.total, 'the network adds to what completion holds');
    assert.ok(smallEstimate.voxels > 0 && smallEstimate.modelVoxels === smallEstimate.voxels, 'no resampling: the model grid is the stored one');
  });

  test('samples are drawn together as far as the memory limit allows: a limit between the estimates of one and two draws one at a time', async () => {
    const { estimateCompletionMemory, samplesThatFit } = await import('./completionMemory.js');
    const { readRunConfig } = await import('../runs/index.js');
    const config = await readRunConfig(runs.t1ce);
    const input = join(root, 'one', 'Ph_001');
    const first = join(input, 'Ph_001_t1.nii.gz');
    const weights = statSync(join(runs.t1ce, 'weights.safetensors')).size;
    const [one, two, three] = await Promise.all([1, 2, 3].map((batch) => estimateCompletionMemory(first, [config], weights, batch)));
    assert.ok(one.total < two.total && two.total < three.total, 'each further sample of a batch adds to the estimate');
    const between = (one.total + two.total) / 2;
    assert.equal(await samplesThatFit(first, [config], weights, between, 3), 1);
    assert.equal(await samplesThatFit(first, [config], weights, (two.total + three.total) / 2, 3), 2);
    assert.equal(await samplesThatFit(first, [config], weights, three.total, 3), 3);
    assert.equal(await samplesThatFit(first, [config], weights, three.total, 3, 2), 2, 'the cap (--batch) bounds it');
    const out = join(root, 'memory-batch');
    const [outcome] = await complete({ input, runs: [runs.t1ce], out, samples: 3, memoryLimit: between });
    assert.equal(outcome.status, 'completed');
    assert.equal(readSidecar(join(out, 'Ph_001_t1ce.json')).batch, 1);
  });
});

describe('completeCases: weights that are not finite, or drive the network out of range', () => {
  /** A copy of the T1ce run with the first value of its first convolution's weight set to `value`. */
  const runWithWeight = (name: string, value: number) => runWithFirstWeight(runs.t1ce, join(root, name), 'weights.safetensors', value);

  test('a flipped bit in a weights file is refused by its checksum; --no-verify (verify: false) loads it as it is', async () => {
    const run = join(root, 'run-flipped');
    cpSync(runs.t1ce, run, { recursive: true });
    const path = join(run, 'weights.safetensors');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0x04;
    writeFileSync(path, bytes);
    await assert.rejects(complete({ input: join(root, 'one'), runs: [run], out: join(root, 'flipped-out') }),
      /run-flipped\/weights\.safetensors\): the tensor data do not match the SHA-256 recorded when the file was written .*: the file is damaged/);
    const [outcome] = await complete({ input: join(root, 'one'), runs: [run], out: join(root, 'flipped-out'), verify: false });
    assert.equal(outcome.status, 'completed');
  });

  test('a NaN weight is refused when the run is opened, naming the file and the tensor', async () => {
    const run = await runWithWeight('run-nan', Number.NaN);
    await assert.rejects(complete({ input: join(root, 'one'), runs: [run], out: join(root, 'nan-out') }),
      /run-nan\/weights\.safetensors: tensor 'input_blocks\.0\.0\.weight' holds 1 NaN or infinite value\(s\) \(the first at flat index 0\)/);
  });

  test('an extreme finite weight whose synthesis is not finite fails the case, naming the weights, and writes nothing', async () => {
    const run = await runWithWeight('run-extreme', -3e38);
    const out = join(root, 'extreme-out');
    const [outcome] = await complete({ input: join(root, 'one'), runs: [run], out });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.reason : '',
      /sampling t1ce gave \d+ NaN or infinite voxel\(s\) of \d+: the weights of .*run-extreme \(.*weights\.safetensors\) drive the network out of range/);
    assert.deepEqual(existsSync(out) ? readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.nii.gz')) : [], []);
  });
});

describe('completeCases: two, zero and three missing contrasts (BraTS 2023 naming)', () => {
  let data: string;
  let outcomes: CaseOutcome[];

  before(async () => {
    data = join(root, 'many');
    await writeCase(data, 'brats2023', 'BraTS-GLI-00001-000', 0, ['t1', 't2']);
    await writeCase(data, 'brats2023', 'BraTS-GLI-00002-000', 1, ['t1', 't1ce', 't2', 'flair']);
    await writeCase(data, 'brats2023', 'BraTS-GLI-00003-000', 2, ['t2']);
    outcomes = await complete({ input: data, runs: [runs.t1ce, runs.flair] });
  });

  test('a complete case has nothing to do and a single-contrast case is refused, saying why', () => {
    assert.deepEqual(statusOf(outcomes),
      { 'BraTS-GLI-00001-000': 'completed', 'BraTS-GLI-00002-000': 'nothing-to-do', 'BraTS-GLI-00003-000': 'refused' });
    const refused = outcomes[2];
    assert.match(refused.status === 'refused' ? refused.reason : '', /only one real contrast \(t2\); completing t1, t1ce, flair needs at least two/);
    assert.deepEqual(readdirSync(join(data, 'BraTS-GLI-00003-000')), ['BraTS-GLI-00003-000-t2w.nii.gz']);
  });

  test('two missing: written as -t1c and -t2f, in a fixed order, the first on a placeholder and the second on the first', () => {
    const dir = join(data, 'BraTS-GLI-00001-000');
    assert.deepEqual(readdirSync(dir).sort(), ['BraTS-GLI-00001-000-t1c.json', 'BraTS-GLI-00001-000-t1c.nii.gz', 'BraTS-GLI-00001-000-t1n.nii.gz',
      'BraTS-GLI-00001-000-t2f.json', 'BraTS-GLI-00001-000-t2f.nii.gz', 'BraTS-GLI-00001-000-t2w.nii.gz']);
    const t1ce = readSidecar(join(dir, 'BraTS-GLI-00001-000-t1c.json'));
    const flair = readSidecar(join(dir, 'BraTS-GLI-00001-000-t2f.json'));
    assert.deepEqual(t1ce.order, ['t1ce', 'flair']);
    assert.deepEqual(flair.order, ['t1ce', 'flair']);
    assert.deepEqual(t1ce.conditions.map((c) => c.from), ['input', 'input', 'placeholder']);
    assert.equal(t1ce.placeholder, 'mean-of-available');
    assert.deepEqual(flair.conditions, [{ contrast: 't1', from: 'input' }, { contrast: 't1ce', from: 'synthesised' }, { contrast: 't2', from: 'input' }]);
    assert.equal(flair.placeholder, null);
    assert.equal(flair.model.weightsSha256, sha256(join(runs.flair, 'weights.safetensors')));
  });

  test('with several samples drawn in batches, sample k of the second is conditioned on sample k of the first, as one at a time', async () => {
    const one = join(root, 'joint-one');
    const two = join(root, 'joint-two');
    await complete({ input: data, runs: [runs.t1ce, runs.flair], out: one, samples: 2, batch: 1 });
    const tensors = memory().numTensors;
    const outcomes = await complete({ input: data, runs: [runs.t1ce, runs.flair], out: two, samples: 2 });
    assert.equal(statusOf(outcomes)['BraTS-GLI-00001-000'], 'completed');
    assert.equal(memory().numTensors, tensors, 'a batch (each sample conditioned on its own synthesis) frees every tensor it makes');
    for (const file of ['t1c', 't1c_std', 't2f', 't2f_std'].map((name) => `BraTS-GLI-00001-000-${name}.nii.gz`)) {
      const [a, b] = await Promise.all([one, two].map(async (dir) => (await readNifti(join(dir, 'BraTS-GLI-00001-000', file))).volume.data));
      const worst = a.reduce((m, value, v) => Math.max(m, Math.abs(value - b[v])), 0);
      const spread = file.includes('std') ? a.reduce((m, value) => Math.max(m, value), 0) : Number.NaN;
      assert.ok(worst < 1e-4, `${file}: drawn in a batch of two, up to ${worst} from one at a time`);
      if (file.includes('std')) assert.ok(spread > 0.01, `${file}: the two samples should differ, largest std ${spread}`);
    }
    // Sample 1 of each contrast is the one-sample completion (sample 0 keeps its seed, and FLAIR's is conditioned on
    // T1ce's sample 1): for two samples with mean m and std s, x₁ = m ± s/√2.
    const single = join(root, 'joint-single');
    await complete({ input: data, runs: [runs.t1ce, runs.flair], out: single });
    for (const name of ['t1c', 't2f']) {
      const read = async (dir: string, file: string) => (await readNifti(join(dir, 'BraTS-GLI-00001-000', `BraTS-GLI-00001-000-${file}.nii.gz`))).volume.data;
      const [x1, mean, std] = await Promise.all([read(single, name), read(two, name), read(two, `${name}_std`)]);
      const worst = x1.reduce((m, x, v) => Math.max(m, Math.min(Math.abs(x - (mean[v] + std[v] / Math.SQRT2)), Math.abs(x - (mean[v] - std[v] / Math.SQRT2)))), 0);
      assert.ok(worst < 1e-4, `${name}: the one-sample completion is not sample 1 of two (up to ${worst} off)`);
    }
    const flair = readSidecar(join(two, 'BraTS-GLI-00001-000', 'BraTS-GLI-00001-000-t2f.json'));
    assert.equal(flair.batch, 2);
    assert.deepEqual(flair.seed?.samples, [0, 1].map((sample) => caseSeed(0, 'BraTS-GLI-00001-000', 'flair', { sample }).toString()));
  });

  test('the completed case now counts as done, and its syntheses are never taken for inputs', async () => {
    const again = await complete({ input: data, runs: [runs.t1ce, runs.flair] });
    assert.deepEqual(statusOf(again),
      { 'BraTS-GLI-00001-000': 'already-done', 'BraTS-GLI-00002-000': 'nothing-to-do', 'BraTS-GLI-00003-000': 'refused' });
    // T1ce was sampled on a placeholder for FLAIR: another placeholder would have made another T1ce.
    const [otherPlaceholder] = await complete({ input: join(data, 'BraTS-GLI-00001-000'), runs: [runs.t1ce, runs.flair], placeholder: 'zeros' });
    assert.match(otherPlaceholder.status === 'refused' ? otherPlaceholder.reason : '',
      /-t1c\.nii\.gz from an earlier completion made otherwise: placeholder "mean-of-available" \(now "zeros"\); pass --force/);
  });
});

describe('completeCases: seeds, samples and explicit files', () => {
  test('per-case seeds: completing A then B gives the same bytes as B then A', async () => {
    const data = join(root, 'order');
    const a = await writeCase(data, 'brats2021', 'Ph_00A', 3, ['t1', 't2', 'flair']);
    const b = await writeCase(data, 'brats2021', 'Ph_00B', 4, ['t1', 't2', 'flair']);
    const together = join(root, 'order-ab');
    const apart = join(root, 'order-ba');
    assert.deepEqual(statusOf(await complete({ input: data, runs: [runs.t1ce], out: together })), { Ph_00A: 'completed', Ph_00B: 'completed' });
    await complete({ input: b, runs: [runs.t1ce], out: join(apart, 'Ph_00B') });
    await complete({ input: a, runs: [runs.t1ce], out: join(apart, 'Ph_00A') });
    const imageA = readFileSync(join(together, 'Ph_00A', 'Ph_00A_t1ce.nii.gz'));
    assert.deepEqual(readFileSync(join(apart, 'Ph_00A', 'Ph_00A_t1ce.nii.gz')), imageA);
    assert.deepEqual(readFileSync(join(apart, 'Ph_00B', 'Ph_00B_t1ce.nii.gz')), readFileSync(join(together, 'Ph_00B', 'Ph_00B_t1ce.nii.gz')));
    assert.notDeepEqual(readFileSync(join(together, 'Ph_00B', 'Ph_00B_t1ce.nii.gz')), imageA);
    assert.deepEqual(readdirSync(a).sort(), ['Ph_00A_flair.nii.gz', 'Ph_00A_t1.nii.gz', 'Ph_00A_t2.nii.gz'], '--out leaves the case folder alone');
  });

  test('precision bf16: the same seed gives a volume close to fp32\'s, recorded in the sidecar; fp16 is refused', async () => {
    const dir = await writeCase(join(root, 'precision'), 'brats2021', 'Ph_009', 7, ['t1', 't2', 'flair']);
    const volumes: Record<string, Float32Array> = {};
    for (const precision of ['fp32', 'bf16'] as const) {
      const out = join(root, `precision-${precision}`);
      const [outcome] = await complete({ input: dir, runs: [runs.t1ce], out, precision });
      assert.equal(outcome.status, 'completed');
      volumes[precision] = (await readNifti(join(out, 'Ph_009_t1ce.nii.gz'))).volume.data;
      assert.equal(readSidecar(join(out, 'Ph_009_t1ce.json')).precision, precision);
    }
    let squares = 0;
    volumes.fp32.forEach((value, v) => { squares += (value - volumes.bf16[v]) ** 2; });
    const rms = Math.sqrt(squares / volumes.fp32.length);
    // The same noise (drawn in float32 from the same seed) through a network whose x̂₀ bfloat16 rounds by about
    // 2 % (see cwdmPipeline.test.ts); measured RMS 0.0066 in [0, 1] units here.
    assert.ok(rms > 0 && rms <= 0.025, `RMS |bf16 − fp32| = ${rms}`);
    await assert.rejects(complete({ input: dir, runs: [runs.t1ce], precision: 'fp16' as never }),
      /completeCases: precision must be one of fp32, bf16, got "fp16"/);
  });

  test('--samples 2 writes the mean and a _std map beside it; sample 1 of the mean is the single-sample result', async () => {
    const data = join(root, 'samples');
    const dir = await writeCase(data, 'brats2021', 'Ph_005', 5, ['t1', 't2', 'flair']);
    const single = join(root, 'samples-one');
    await complete({ input: dir, runs: [runs.t1ce], out: single });
    // One at a time, so that sample 1 is the single-sample result to the bit (in a batch, to the kernels' rounding).
    const [outcome] = await complete({ input: dir, runs: [runs.t1ce], samples: 2, batch: 1 });
    assert.equal(outcome.status, 'completed');
    const mean = await readNifti(join(dir, 'Ph_005_t1ce.nii.gz'));
    const std = await readNifti(join(dir, 'Ph_005_t1ce_std.nii.gz'));
    const first = (await readNifti(join(single, 'Ph_005_t1ce.nii.gz'))).volume.data;
    assert.equal(mean.header.descrip, 'mrsynth cwdm synthetic t1ce, mean of 2 samples, [0,1] units');
    assert.equal(std.header.descrip, 'mrsynth cwdm synthetic t1ce, std of 2 samples, [0,1] units');
    assert.deepEqual(Array.from(std.volume.affine), Array.from(mean.volume.affine));
    // For two samples x₁, x₂: mean m and std s = |x₁ − x₂|/√2, so x₁ = m ± s/√2.
    let spread = 0;
    mean.volume.data.forEach((m, v) => {
      const s = std.volume.data[v];
      assert.ok(Math.min(Math.abs(first[v] - (m + s / Math.SQRT2)), Math.abs(first[v] - (m - s / Math.SQRT2))) < 1e-5, `voxel ${v}`);
      spread = Math.max(spread, s);
    });
    assert.ok(spread > 1e-3, `two samples should differ somewhere, largest std ${spread}`);
    const sidecar = readSidecar(join(dir, 'Ph_005_t1ce.json'));
    assert.equal(sidecar.samples, 2);
    assert.deepEqual(sidecar.files, { image: 'Ph_005_t1ce.nii.gz', std: 'Ph_005_t1ce_std.nii.gz' });
  });

  test('explicit files: the run\'s target is written to the given file, named by it, with its sidecar', async () => {
    const dir = await writeCase(join(root, 'explicit'), 'brats2021', 'Ph_006', 6, ['t1', 't2', 'flair']);
    const out = join(root, 'explicit-out', 'guess.nii.gz');
    const files = { t1: join(dir, 'Ph_006_t1.nii.gz'), t2: join(dir, 'Ph_006_t2.nii.gz'), flair: join(dir, 'Ph_006_flair.nii.gz') };
    const [outcome] = await complete({ files, runs: [runs.t1ce], out });
    assert.equal(outcome.status, 'completed');
    assert.equal(readSidecar(join(root, 'explicit-out', 'guess.json')).case, 'guess');
    assert.equal((await readNiftiHeader(out)).descrip, 'mrsynth cwdm synthetic t1ce, [0,1] units');
    await assert.rejects(complete({ files: { t1: files.t1, t2: files.t2 }, runs: [runs.t1ce, runs.flair], out }),
      /with explicit files \(t1, t2\) one contrast is synthesised into .*guess\.nii\.gz, but the runs synthesise t1ce, flair; give exactly one run/);
  });

  test('a run that resamples reports what the round trip of the inputs loses, as an event and in the sidecar', async () => {
    const resampling = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'resample', spacing: [18, 18, 18], interpolation: 'linear' },
      { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', multiple: [8, 8, 8] }] });
    // Trained on an 18 mm model grid: the 9 mm case is resampled to it, so its resolution matches.
    const run = await writeRun(join(root, 'run-t1ce-18mm'), 't1ce', ['t1', 't2', 'flair'], 3, resampling, [18, 18, 18]);
    const dir = await writeCase(join(root, 'resampled'), 'brats2021', 'Ph_008', 2, ['t1', 't2', 'flair']);
    const events: CompletionEvent[] = [];
    const [outcome] = await complete({ input: join(root, 'resampled'), runs: [run], onProgress: (e) => events.push(e) });
    assert.equal(outcome.status, 'completed');
    const reported = events.filter((e) => e.kind === 'roundTrip');
    assert.equal(reported.length, 1);
    const error = (reported[0] as Extract<CompletionEvent, { kind: 'roundTrip' }>).error;
    assert.deepEqual(Object.keys(error).sort(), ['flair', 't1', 't2']);
    // Halving the resolution of a textured phantom cannot be undone exactly, but it keeps the bulk of the signal.
    for (const e of Object.values(error)) assert.ok(e.maxAbs > 0 && e.maxRelative < 1 && e.rms > 0, JSON.stringify(e));
    assert.deepEqual(readSidecar(join(dir, 'Ph_008_t1ce.json')).roundTripError, error);
    assert.equal(readSidecar(join(root, 'explicit-out', 'guess.json')).roundTripError, null);
  });

  test('a case at another resolution than the run was trained on is refused before sampling, naming both; allowed, it completes', async () => {
    const run = await writeRun(join(root, 'run-t1ce-3mm'), 't1ce', ['t1', 't2', 'flair'], 4, TEST_PREPROCESS, [3, 3, 3]);
    const data = join(root, 'coarse');
    const dir = await writeCase(data, 'brats2021', 'Ph_009', 3, ['t1', 't2', 'flair']);
    const [refused] = await complete({ input: data, runs: [run] });
    assert.equal(refused.status, 'refused');
    assert.match(refused.status === 'refused' ? refused.reason : '', new RegExp('comes at 9×9×9 mm on the model grid, but run .*run-t1ce-3mm '
      + '\\(→ t1ce\\) was trained on 3×3×3 mm, .*resample the data \\(mrsynth data resample --spacing 3\\) or pass --allow-voxel-size-mismatch'));
    assert.deepEqual(readdirSync(dir).sort(), ['Ph_009_flair.nii.gz', 'Ph_009_t1.nii.gz', 'Ph_009_t2.nii.gz']);
    const [allowed] = await complete({ input: data, runs: [run], allowVoxelSizeMismatch: true });
    assert.equal(allowed.status, 'completed');
  });

  test('refuses two runs for one target; an unreadable file fails its own case, by name', async () => {
    const data = join(root, 'broken');
    const dir = await writeCase(data, 'brats2021', 'Ph_007', 0, ['t1', 't2']);
    await assert.rejects(complete({ input: data, runs: [runs.t1ce, runs.t1ce] }), /both synthesise t1ce; give one run per contrast/);
    writeFileSync(join(dir, 'Ph_007_flair.nii.gz'), 'not a NIfTI file');
    const [outcome] = await complete({ input: data, runs: [runs.t1ce] });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.reason : '', /Ph_007_flair\.nii\.gz/);
  });
});

describe('completeCases: an ALDM run, one model for every missing contrast', () => {
  let aldm: string;
  before(async () => {
    aldm = await writeAldmRun(join(root, 'run-aldm'), {
      seed: 3, validationPsnr: { t1ce: { t1: 20, t2: 25, flair: 22 }, flair: { t1: 24, t2: 19, t1ce: 21 }, t1: { t2: 23 }, t2: { t1: 22 } },
    });
  });

  test('each missing contrast is translated from the real one that scored best into it on the run\'s validation, recorded', async () => {
    const data = join(root, 'aldm-best');
    const dir = await writeCase(data, 'brats2021', 'Ph_030', 0, ['t1', 't2']);
    const [outcome] = await complete({ input: data, runs: [aldm], sampler: { kind: 'ddim', steps: 2, eta: 1 } });
    assert.equal(outcome.status, 'completed');
    const order = outcome.status === 'completed' ? outcome.order : [];
    assert.deepEqual(order.map((t) => [t.contrast, t.translatedFrom]), [
      ['t1ce', { source: 't2', chosenBy: 'validation', validationPsnr: 25 }], ['flair', { source: 't1', chosenBy: 'validation', validationPsnr: 24 }]]);
    const sidecar = readSidecar(join(dir, 'Ph_030_flair.json'));
    assert.deepEqual(sidecar.translation, { source: 't1', chosenBy: 'validation', validationPsnr: 24, classLabel: 3 });
    assert.deepEqual(sidecar.conditions, [{ contrast: 't1', from: 'input' }]);
    const out = await readNifti(join(dir, 'Ph_030_t1ce.nii.gz'));
    assert.equal(out.header.descrip, 'mrsynth aldm synthetic t1ce, [-1,1] units');
    assert.ok(out.volume.data.some((v) => v !== -1) && out.volume.data.every(Number.isFinite));
  });

  test('--source overrides the choice; one real contrast is enough; a run that recorded no validation needs --source', async () => {
    const data = join(root, 'aldm-source');
    const dir = await writeCase(data, 'brats2021', 'Ph_031', 1, ['t2']);
    const [asked] = await complete({ input: data, runs: [aldm], source: 't2', sampler: { kind: 'ddim', steps: 2, eta: 1 } });
    assert.equal(asked.status, 'completed');
    assert.deepEqual(readSidecar(join(dir, 'Ph_031_t1.json')).translation, { source: 't2', chosenBy: 'option', classLabel: 0 });
    const unscored = await writeAldmRun(join(root, 'run-aldm-unscored'), { seed: 3 });
    const [refused] = await complete({ input: data, runs: [unscored], force: true });
    assert.match(refused.status === 'refused' ? refused.reason : refused.status, /records no validation of its translations .* give the source with --source/);
    const [noSuch] = await complete({ input: data, runs: [aldm], source: 'flair', force: true });
    assert.match(noSuch.status === 'refused' ? noSuch.reason : noSuch.status, /has no real flair to translate from \(--source\), only t2/);
  });

  test('a one-target run given beside it takes its own contrast; two runs serving all contrasts are refused', async () => {
    const data = join(root, 'aldm-mixed');
    const dir = await writeCase(data, 'brats2021', 'Ph_032', 2, ['t1', 't2', 'flair']);
    const [outcome] = await complete({ input: data, runs: [aldm, runs.t1ce] });
    assert.equal(outcome.status, 'completed');
    assert.equal(readSidecar(join(dir, 'Ph_032_t1ce.json')).model.config.method, 'cwdm');
    await assert.rejects(complete({ input: data, runs: [aldm, aldm], force: true }), /both synthesise t1; give one run per contrast/);
  });

  test('a run of the first stage alone cannot complete a case: refused before any case is read, saying what it can do', async () => {
    const data = join(root, 'aldm-first-stage');
    const dir = await writeCase(data, 'brats2021', 'Ph_033', 3, ['t1', 't2']);
    const spade = await aldmFirstStageOf(aldm, join(root, 'run-aldm-spade'), 'spade');
    await assert.rejects(complete({ input: data, runs: [spade], source: 't1' }),
      /run .*run-aldm-spade cannot complete cases: the run holds ALDM's first stage only .* it samples once a diffusion stage is trained on it/);
    assert.deepEqual(readdirSync(dir).sort(), ['Ph_033_t1.nii.gz', 'Ph_033_t2.nii.gz']);
  });
});
