import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MT19937 } from './mt19937.js';

describe('MT19937', () => {
  test('matches the reference outputs for the default seed 5489', () => {
    // First outputs of mt19937ar.c with init_genrand(5489), and the 10000th output the C++ standard fixes
    // for std::mt19937 ([rand.predef]: 4123659995).
    const mt = new MT19937(5489);
    const first = Array.from({ length: 5 }, () => mt.nextUint32());
    assert.deepEqual(first, [3499211612, 581869302, 3890346734, 3586334585, 545404204]);
    for (let i = 6; i < 10000; i++) mt.nextUint32();
    assert.equal(mt.nextUint32(), 4123659995);
  });
  test('rejects seeds outside 32 bits', () => {
    assert.throws(() => new MT19937(2 ** 32), /MT19937: seed must be an integer in \[0, 2\^32-1\], got 4294967296/);
    assert.throws(() => new MT19937(-1), /got -1/);
  });
});
