import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, Tensor, manualSeed, memory, noGrad, randn, tensor, tidy } from '../../tensor/index.js';
import { decodeSafetensors } from '../../io/safetensors/index.js';
import type { RawTensor } from '../../io/safetensors/index.js';
import { packageRoot } from '../../util/index.js';
import { CwdmUNet, parameterCounts } from './cwdmUNet.js';
import { WAVELET_BANDS, parseCwdmUNetConfig } from './cwdmUNetConfig.js';

const FIXTURE = join(packageRoot(), 'test-fixtures', 'cwdm', 'cwdm-reference-tiny.safetensors');

function f32Tensor(raw: RawTensor, name: string): Tensor {
  assert.equal(raw.dtype, 'F32', `${name} should be float32`);
  // Copy into a fresh buffer: the view into the file's bytes need not be 4-byte aligned.
  return tensor(new Float32Array(new Uint8Array(raw.data).buffer), { shape: raw.shape });
}

const maxAbs = (x: Tensor) => tidy(() => x.abs().max().item());

describe('CwdmUNet', () => {
  describe('paper', () => {
    // Built once for both tests: ≈ 330 MB of float32 weights, never run forward at full size here.
    let model: CwdmUNet;
    before(() => { model = new CwdmUNet(parseCwdmUNetConfig('paper')); });
    after(() => model.dispose());

    test('81,511,048 parameters, per part as the reference; 36 zero convolutions, default init elsewhere', () => {
      assert.deepEqual(parameterCounts(model), {
        inputBlocks: 23_246_208, middle: 7_212_544, outputBlocks: 50_955_904, timeEmbedding: 82_432, head: 13_960, total: 81_511_048,
      });
      assert.equal(model.numParameters(), 81_511_048);

      const zeroConvs: string[] = [];
      for (const [key, p] of model.namedParameters()) {
        if (p.ndim !== 5) continue;
        const largest = maxAbs(p);
        if (largest === 0) {
          zeroConvs.push(key);
          continue;
        }
        // torch's kaiming_uniform_(a=√5) bound: gain·√3/√fan_in with gain = √(2/(1+5)), i.e. 1/√fan_in,
        // rounded to float32 (hence the relative slack of 1e-6); thousands of draws come close to it.
        const bound = 1 / Math.sqrt(p.shape.slice(1).reduce((a, b) => a * b, 1));
        assert.ok(largest <= bound * (1 + 1e-6) && largest > 0.9 * bound, `${key}: max |w| ${largest}, bound ${bound}`);
      }
      assert.equal(zeroConvs.length, 36);
      assert.ok(zeroConvs.every((k) => k === 'out.2.weight' || k.endsWith('.out_layers.3.weight')), zeroConvs.join(', '));
      for (const key of ['out.2.bias', 'output_blocks.14.0.out_layers.3.bias']) {
        const bias = model.namedParameters().find(([k]) => k === key)![1];
        assert.equal(maxAbs(bias), 0, key);
      }
    });

    test("state-dict keys and shapes are the reference's (spec §4.3)", () => {
      const shapes = new Map(model.namedParameters().map(([k, p]) => [k, p.shape]));
      const expected: [string, number[]][] = [
        ['time_embed.0.weight', [256, 64]],
        ['time_embed.2.weight', [256, 256]],
        ['input_blocks.0.0.weight', [64, 32, 3, 3, 3]],
        ['input_blocks.1.0.in_layers.0.weight', [64]],
        ['input_blocks.1.0.in_layers.2.weight', [64, 64, 3, 3, 3]],
        ['input_blocks.1.0.emb_layers.1.weight', [64, 256]],
        ['input_blocks.1.0.out_layers.0.weight', [64]],
        ['input_blocks.1.0.out_layers.3.weight', [64, 64, 3, 3, 3]],
        ['input_blocks.4.0.skip_connection.weight', [128, 64, 1, 1, 1]],
        ['input_blocks.14.0.out_layers.3.bias', [256]],
        ['middle_block.1.out_layers.3.weight', [256, 256, 3, 3, 3]],
        ['output_blocks.0.0.in_layers.2.weight', [256, 512, 3, 3, 3]],
        ['output_blocks.2.1.in_layers.2.weight', [256, 256, 3, 3, 3]],
        ['output_blocks.5.0.skip_connection.weight', [256, 384, 1, 1, 1]],
        ['output_blocks.11.1.emb_layers.1.weight', [128, 256]],
        ['output_blocks.12.0.in_layers.0.weight', [192]],
        ['output_blocks.14.0.skip_connection.weight', [64, 128, 1, 1, 1]],
        ['out.0.weight', [64]],
        ['out.2.weight', [8, 64, 3, 3, 3]],
        ['out.2.bias', [8]],
      ];
      for (const [key, shape] of expected) assert.deepEqual(shapes.get(key), shape, key);
      // Same channels in and out: an identity skip, which has no parameters.
      assert.ok(!shapes.has('input_blocks.1.0.skip_connection.weight'));
      assert.ok(!shapes.has('input_blocks.3.0.skip_connection.weight'));
      const blocks = (prefix: string) => new Set([...shapes.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.split('.')[1])).size;
      assert.equal(blocks('input_blocks.'), 15);
      assert.equal(blocks('middle_block.'), 2);
      assert.equal(blocks('output_blocks.'), 15);
      // The up ResBlocks are the second layer of output blocks 2, 5, 8 and 11 only.
      const ups = new Set([...shapes.keys()].filter((k) => /^output_blocks\.\d+\.1\./.test(k)).map((k) => k.split('.')[1]));
      assert.deepEqual([...ups], ['2', '5', '8', '11']);
    });
  });

  test('untrained: the output is exactly zero (zero-initialised head), and forward leaks no tensors', () => {
    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    const x = randn([2, 32, 16, 16, 16]);
    const t = tensor([0, 999], { dtype: 'int64' });
    const tensorsBefore = memory().numTensors;
    const out = noGrad(() => model.forward(x, t));
    assert.deepEqual(out.shape, [2, 8, 16, 16, 16]);
    assert.equal(maxAbs(out), 0);
    out.dispose();
    assert.equal(memory().numTensors, tensorsBefore);
    model.dispose();
    x.dispose();
    t.dispose();
  });

  test('oracle: the reference network (fixture weights, strict keys) at t = 437 to 1e-5', () => {
    const file = decodeSafetensors(readFileSync(FIXTURE), FIXTURE);
    const timestep = Number(file.metadata.timestep);
    assert.equal(timestep, 437);
    const model = new CwdmUNet(parseCwdmUNetConfig('reference-tiny'));
    const raw = (name: string) => f32Tensor(file.tensors[name], name);
    tidy(() => {
      const weights = Object.fromEntries(Object.keys(file.tensors)
        .filter((k) => k.startsWith('model.'))
        .map((k) => [k.slice('model.'.length), raw(k)]));
      const { missingKeys, unexpectedKeys } = model.loadStateDict(weights, { strict: true });
      assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
      model.eval();

      const x = F.cat([raw('inputs.x_t'), raw('inputs.cond')], 1);
      const expected = raw('outputs.model_out');
      for (const t of [tensor([timestep], { dtype: 'int64' }), tensor([timestep], { dtype: 'float32' })]) {
        const out = noGrad(() => model.forward(x, t));
        assert.deepEqual(out.shape, expected.shape);
        const maxError = out.sub(expected).abs().max().item();
        assert.ok(maxError <= 1e-5, `max |ours − reference| = ${maxError}`);
      }
      // Not trivially small: the fixture's output convolutions were drawn non-zero.
      assert.ok(expected.abs().max().item() > 0.1);
    });
    model.dispose();
  });

  test('runs in bfloat16 after to(\'bfloat16\'): the oracle output to bfloat16 precision; float32 input then refused', () => {
    const file = decodeSafetensors(readFileSync(FIXTURE), FIXTURE);
    const model = new CwdmUNet(parseCwdmUNetConfig('reference-tiny'));
    const raw = (name: string) => f32Tensor(file.tensors[name], name);
    tidy(() => {
      model.loadStateDict(Object.fromEntries(Object.keys(file.tensors)
        .filter((k) => k.startsWith('model.'))
        .map((k) => [k.slice('model.'.length), raw(k)])));
      model.eval().to('bfloat16');
      const x = F.cat([raw('inputs.x_t'), raw('inputs.cond')], 1);
      const t = tensor([Number(file.metadata.timestep)], { dtype: 'int64' });
      const expected = raw('outputs.model_out');
      const out = noGrad(() => model.forward(x.to('bfloat16'), t));
      assert.equal(out.dtype, 'bfloat16');
      // bfloat16 keeps 8 significant bits (relative step 2^-8 ≈ 0.4 %); through a dozen layers a few steps add up
      // (measured 2.0 % of the largest output with GroupNorm in float32, 2.8 % with it in bfloat16).
      const maxError = out.float().sub(expected).abs().max().item();
      assert.ok(maxError <= 0.03 * maxAbs(expected), `max |ours − reference| = ${maxError}, max |reference| = ${maxAbs(expected)}`);
      assert.ok(maxError > 0, 'bfloat16 cannot be exact here; the network must not have run in float32');
      assert.throws(() => model.forward(x, t), /CwdmUNet\.forward: x must be bfloat16 like the weights, got float32/);
    });
    model.dispose();
  });

  test('trains: gradient descent on one batch lowers the loss, and the gradient gets past the zero head to the first layer', () => {
    manualSeed(0);
    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    const first = model.namedParameters().find(([k]) => k === 'input_blocks.0.0.weight')![1];
    tidy(() => {
      const initialFirst = first.clone();
      const x = randn([2, 32, 8, 8, 8]);
      const target = x.narrow(1, WAVELET_BANDS, WAVELET_BANDS); // learnable: the first condition's bands
      const t = tensor([10, 700], { dtype: 'int64' });
      const losses: number[] = [];
      for (let step = 0; step < 8; step++) {
        losses.push(tidy(() => {
          const loss = F.mseLoss(model.forward(x, t), target);
          loss.backward();
          noGrad(() => {
            for (const p of model.parameters()) {
              const grad = p.grad;
              if (grad !== null) p.sub_(grad, 0.5);
            }
          });
          return loss.item();
        }));
        model.zeroGrad();
      }
      assert.ok(losses[7] < 0.95 * losses[0], `losses ${losses.join(', ')}`);
      assert.ok(maxAbs(first.sub(initialFirst)) > 0);
    });
    model.dispose();
  });

  test('conditions set the input width: IXI (2 conditions) takes 24 channels', () => {
    const model = new CwdmUNet(parseCwdmUNetConfig({ preset: 'tiny', conditions: 2 }));
    assert.equal(model.inChannels, 24);
    assert.deepEqual(model.namedParameters().find(([k]) => k === 'input_blocks.0.0.weight')![1].shape, [4, 24, 3, 3, 3]);
    tidy(() => {
      const out = noGrad(() => model.forward(randn([1, 24, 8, 16, 12]), tensor([5], { dtype: 'int64' })));
      assert.deepEqual(out.shape, [1, 8, 8, 16, 12]);
    });
    model.dispose();
  });

  test('refuses a condition channel count, spatial size or timestep shape the config does not fit', () => {
    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    tidy(() => {
      const t = tensor([10], { dtype: 'int64' });
      assert.throws(() => model.forward(randn([1, 24, 16, 16, 16]), t),
        /CwdmUNet\.forward: x must have 32 channels \(8 noisy target bands \+ 3 condition contrasts × 8 bands\), got 24, i\.e\. 2 condition contrasts \(shape \[1,24,16,16,16\]\)/);
      assert.throws(() => model.forward(randn([1, 30, 16, 16, 16]), t), /must have 32 channels .*got 30 \(shape/);
      assert.throws(() => model.forward(randn([1, 32, 16, 18, 16]), t),
        /CwdmUNet\.forward: every spatial axis of x must divide by 4 \(2 halvings\), got 16×18×16 \(shape \[1,32,16,18,16\]\)/);
      assert.throws(() => model.forward(randn([1, 32, 16, 16]), t), /x must be rank 5 \(N, C, D, H, W\), got shape \[1,32,16,16\]/);
      assert.throws(() => model.forward(randn([1, 32, 8, 8, 8], { dtype: 'float64' }), t), /x must be float32 like the weights, got float64/);
      assert.throws(() => model.forward(randn([2, 32, 8, 8, 8]), t), /t must hold one timestep per sample, shape \[2\], got shape \[1\]/);
    });
    model.dispose();
  });
});
