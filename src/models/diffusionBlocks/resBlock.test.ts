import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, noGrad, randn, tidy } from '../../tensor/index.js';
import { ResBlock } from './resBlock.js';

const maxAbsDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

describe('ResBlock', () => {
  test("keys are the reference's; a 1×1×1 skip projection only when the channel count changes", () => {
    const same = new ResBlock({ inChannels: 8, outChannels: 8, embChannels: 16, numGroups: 4, dropout: 0 });
    assert.deepEqual(same.namedParameters().map(([k, p]) => `${k} [${p.shape}]`), [
      'in_layers.0.weight [8]', 'in_layers.0.bias [8]', 'in_layers.2.weight [8,8,3,3,3]', 'in_layers.2.bias [8]',
      'emb_layers.1.weight [8,16]', 'emb_layers.1.bias [8]',
      'out_layers.0.weight [8]', 'out_layers.0.bias [8]', 'out_layers.3.weight [8,8,3,3,3]', 'out_layers.3.bias [8]',
    ]);
    const wider = new ResBlock({ inChannels: 8, outChannels: 12, embChannels: 16, numGroups: 4, dropout: 0 });
    assert.deepEqual(wider.namedParameters().slice(-2).map(([k, p]) => `${k} [${p.shape}]`),
      ['skip_connection.weight [12,8,1,1,1]', 'skip_connection.bias [12]']);
    same.dispose();
    wider.dispose();
  });

  test('untrained (zero second conv), the block is its skip path: identity, 2× average pool, 2× nearest', () => {
    tidy(() => {
      const x = randn([2, 8, 4, 6, 8]);
      const emb = randn([2, 16]);
      const block = (resample?: 'down' | 'up') => new ResBlock({ inChannels: 8, outChannels: 8, embChannels: 16, numGroups: 4, dropout: 0, resample });
      const plain = block();
      const down = block('down');
      const up = block('up');
      noGrad(() => {
        assert.equal(maxAbsDiff(plain.forward(x, emb), x), 0);
        const pooled = down.forward(x, emb);
        assert.deepEqual(pooled.shape, [2, 8, 2, 3, 4]);
        assert.equal(maxAbsDiff(pooled, F.avgPool3d(x, 2)), 0);
        const upsampled = up.forward(x, emb);
        assert.deepEqual(upsampled.shape, [2, 8, 8, 12, 16]);
        assert.equal(maxAbsDiff(upsampled, F.interpolate(x, { scaleFactor: 2 })), 0);
      });
      for (const b of [plain, down, up]) b.dispose();
    });
  });

  test('the time embedding is added per sample and channel, broadcast over space', () => {
    tidy(() => {
      const block = new ResBlock({ inChannels: 4, outChannels: 4, embChannels: 6, numGroups: 2, dropout: 0 });
      const x = randn([2, 4, 4, 4, 4]);
      // Swapping the two samples' embeddings must swap their outputs once the second conv is live.
      noGrad(() => block.namedParameters().find(([k]) => k === 'out_layers.3.weight')![1].normal_(0, 0.1));
      const emb = randn([2, 6]);
      const swapped = emb.flip(0);
      const a = noGrad(() => block.forward(x.narrow(0, 0, 1).expand([2, 4, 4, 4, 4]), emb));
      const b = noGrad(() => block.forward(x.narrow(0, 0, 1).expand([2, 4, 4, 4, 4]), swapped));
      assert.equal(maxAbsDiff(a.narrow(0, 0, 1), b.narrow(0, 1, 1)), 0);
      assert.ok(maxAbsDiff(a.narrow(0, 0, 1), a.narrow(0, 1, 1)) > 1e-4);
      block.dispose();
    });
  });

  test('refuses a resampling block that changes channels, and a wrong input', () => {
    assert.throws(() => new ResBlock({ inChannels: 4, outChannels: 8, embChannels: 8, numGroups: 2, dropout: 0, resample: 'down' }),
      /ResBlock: a down block keeps its channels, got 4 → 8/);
    const block = new ResBlock({ inChannels: 4, outChannels: 4, embChannels: 8, numGroups: 2, dropout: 0 });
    tidy(() => assert.throws(() => block.forward(randn([1, 6, 4, 4, 4]), randn([1, 8])),
      /ResBlock\.forward: x must be \(N, 4, D, H, W\), got shape \[1,6,4,4,4\]/));
    block.dispose();
  });
});
