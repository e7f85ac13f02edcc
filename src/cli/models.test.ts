import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { commandRunner } from './commandRunner.testSupport.js';

const mrsynth = commandRunner(new URL('./models.ts', import.meta.url), 'registerModelsCommand');

describe('mrsynth models info', () => {
  test('paper: the reference\'s 81,511,048 parameters, per part, and the config', () => {
    const run = mrsynth('models', 'info', '--model', 'cwdm', '--config', 'paper');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, [
      'model   cwdm: cWDM: the 3-D U-Net denoiser over Haar wavelet bands (Friedrich et al.)',
      'config  paper',
      '  conditions      3',
      '  modelChannels   64',
      '  channelMult     [1,2,2,4,4]',
      '  numResBlocks    2',
      '  numGroups       32',
      '  dropout         0',
      'parameters',
      '  input blocks    23,246,208',
      '  middle           7,212,544',
      '  output blocks   50,955,904',
      '  time embedding      82,432',
      '  head                13,960',
      '  total           81,511,048',
      '',
    ].join('\n'));
  });

  test('--conditions changes the first convolution only (IXI: 2 conditions, 8 × 64 × 27 fewer weights); --json', () => {
    const run = mrsynth('models', 'info', '--model', 'cwdm', '--config', 'paper', '--conditions', '2', '--json');
    assert.equal(run.status, 0, run.stderr);
    const info = JSON.parse(run.stdout) as { config: { conditions: number }; parameters: { parts: { part: string; parameters: number }[]; total: number } };
    assert.equal(info.config.conditions, 2);
    assert.equal(info.parameters.total, 81_511_048 - 8 * 64 * 27);
    assert.deepEqual(info.parameters.parts.find(({ part }) => part === 'input blocks'), { part: 'input blocks', parameters: 23_246_208 - 8 * 64 * 27 });
  });

  test('aldm code: the reference\'s counts per part, and the PatchGANs only training uses (issue 18, checked on the reference)', () => {
    const run = mrsynth('models', 'info', '--model', 'aldm', '--config', 'code', '--json');
    assert.equal(run.status, 0, run.stderr);
    const { parameters, trainingOnly } = JSON.parse(run.stdout) as {
      parameters: { parts: { part: string; parameters: number }[]; total: number }; trainingOnly: { part: string; parameters: number }[];
    };
    assert.deepEqual(Object.fromEntries(parameters.parts.map((p) => [p.part, p.parameters])), {
      encoder: 2_238_340, decoder: 4_230_721, codebook: 32_768, quant_conv: 20, post_quant_conv: 20, 'MS-SPADE': 18_932_428,
      'U-Net input blocks': 5_978_752, 'U-Net middle': 7_607_296, 'U-Net output blocks': 19_266_432, 'U-Net time embedding': 328_704,
      'U-Net label embedding': 2_048, 'U-Net head': 14_084,
    });
    assert.equal(parameters.total, 25_434_297 + 33_197_316);
    assert.deepEqual(trainingOnly, [{ part: 'PatchGAN, image (stage 1)', parameters: 2_771_873 }, { part: 'PatchGAN, latent (stage 2)', parameters: 2_843_557 }]);
  });

  test('refusals name the bad value and what was expected', () => {
    const preset = mrsynth('models', 'info', '--model', 'cwdm', '--config', 'huge');
    assert.equal(preset.status, 1);
    assert.match(preset.stderr, /preset must be one of paper, cpu, tiny, reference-tiny, got "huge"/);
    const family = mrsynth('models', 'info', '--model', 'vqgan', '--config', 'paper');
    assert.equal(family.status, 1);
    assert.match(family.stderr, /argument 'vqgan' is invalid\. Allowed choices are cwdm/);
    const conditions = mrsynth('models', 'info', '--model', 'cwdm', '--config', 'paper', '--conditions', '0');
    assert.equal(conditions.status, 1);
    assert.match(conditions.stderr, /--conditions <n>' argument '0' is invalid\. expected a positive integer, got '0'/);
  });
});
