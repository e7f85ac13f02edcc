import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from '../io/checkpoint/index.js';
import { CwdmUNet, parseCwdmUNetConfig } from '../models/wdm/index.js';
import { tidy } from '../tensor/index.js';
import { TINY_KEYS, fixturePath, fixtureValues } from '../../test-fixtures/convert/fixtureValues.js';
import { commandRunner } from './commandRunner.testSupport.js';

const mrsynth = commandRunner(new URL('./convert.ts', import.meta.url), 'registerConvertCommand');

describe('mrsynth convert --from pytorch', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-convert-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('a DataParallel checkpoint wrapped in a dict → weights that load strictly into CwdmUNet with exactly its values', async () => {
    const out = join(root, 'tiny.safetensors');
    const run = mrsynth('convert', '--from', 'pytorch', fixturePath('tiny-wrapped.pt'), '--model', 'cwdm', '--config', 'tiny', '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^read .*tiny-wrapped\.pt \(sha256 [0-9a-f]{64}\): weights under 'state_dict\.module\.'\n/);
    assert.match(run.stdout, /\n {2}left out 3 non-tensor value\(s\): epoch, args\.lr, args\.name\n/);
    assert.match(run.stdout, /\nwrote .*tiny\.safetensors: 174 tensors, 55,748 parameters, float32, cwdm tiny\n$/);

    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    const { metadata } = await loadModule(out, model);
    assert.equal(metadata.source, 'tiny-wrapped.pt');
    assert.deepEqual(JSON.parse(metadata.config), parseCwdmUNetConfig('tiny'));
    const parameters = new Map(model.namedParameters());
    TINY_KEYS.forEach(({ key }, i) => {
      assert.deepEqual(tidy(() => parameters.get(key)!.toTypedArray()), fixtureValues(i), key);
    });
    model.dispose();
  });

  test('an existing output is kept unless --force', async () => {
    const out = join(root, 'kept.safetensors');
    await fs.writeFile(out, 'mine');
    const args = ['convert', '--from', 'pytorch', fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny', '--out', out];
    const refused = mrsynth(...args);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /convert: .*kept\.safetensors exists; pass --force to replace it/);
    assert.equal(await fs.readFile(out, 'utf8'), 'mine');
    const forced = mrsynth(...args, '--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /a bare state dict/);
    assert.deepEqual((await fs.readdir(root)).filter((name) => name.includes('.tmp-')), []);
  });

  test('weights of another config are refused, naming the key and both shapes; nothing is written', async () => {
    const out = join(root, 'ixi.safetensors');
    const run = mrsynth('convert', '--from', 'pytorch', fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny',
      '--conditions', '2', '--out', out);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /shape mismatches \(1\): input_blocks\.0\.0\.weight: checkpoint \[4,32,3,3,3\], network \[4,24,3,3,3\]/);
    await assert.rejects(fs.access(out));
  });
});
