import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy } from '../tensor/index.js';
import { GroupNorm } from './groupNorm.js';
import { ModuleList } from './moduleList.js';

describe('ModuleList', () => {
  test('holds modules under their positions, iterates in order and refuses indices past the end', () => tidy(() => {
    const norms = [new GroupNorm(1, 2), new GroupNorm(1, 3)];
    const list = new ModuleList(norms).append(new GroupNorm(2, 4));
    assert.equal(list.length, 3);
    assert.deepEqual([...list].map((n) => n.numChannels), [2, 3, 4]);
    assert.equal(list.at(1), norms[1]);
    assert.deepEqual(Object.keys(list.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
    assert.throws(() => list.at(3), /ModuleList.at: index 3 out of range for 3 modules/);
    list.dispose();
  }));
});
