import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Case } from './dataset.js';
import { splitCases, splitOf, SPLIT_NAMES, type Splits } from './split.js';

function brats23(subjectCount: number, timePoints = 1, start = 0): Case[] {
  const cases: Case[] = [];
  for (let s = start; s < start + subjectCount; s++) {
    const subject = `BraTS-GLI-${String(s).padStart(5, '0')}`;
    for (let t = 0; t < timePoints; t++) {
      cases.push({ id: `${subject}-${String(t).padStart(3, '0')}`, subject, format: 'brats2023', contrasts: {} });
    }
  }
  return cases;
}
const ids = (splits: Splits) => Object.fromEntries(SPLIT_NAMES.map((n) => [n, splits[n].map((c) => c.id).sort()]));
const membership = (splits: Splits) => new Map(SPLIT_NAMES.flatMap((n) => splits[n].map((c) => [c.id, n] as const)));

describe('splitCases', () => {
  test('is deterministic for a seed and changes with the seed', () => {
    const cases = brats23(200);
    assert.deepEqual(ids(splitCases(cases, { seed: 7 })), ids(splitCases(cases, { seed: 7 })));
    const a = membership(splitCases(cases, { seed: 7 }));
    const b = membership(splitCases(cases, { seed: 8 }));
    assert.ok([...a].filter(([id, s]) => b.get(id) !== s).length > 20);
  });

  test('does not depend on the order of the cases', () => {
    const cases = brats23(100, 2);
    const shuffled = [...cases].sort((x, y) => (x.id.split('').reverse().join('') < y.id.split('').reverse().join('') ? -1 : 1));
    assert.notDeepEqual(shuffled.map((c) => c.id), cases.map((c) => c.id));
    assert.deepEqual(ids(splitCases(shuffled, { seed: 3 })), ids(splitCases(cases, { seed: 3 })));
  });

  test('keeps all time points of a subject in one split', () => {
    const splits = splitCases(brats23(300, 3), { seed: 11 });
    const splitOfSubject = new Map<string, string>();
    for (const name of SPLIT_NAMES) {
      for (const c of splits[name]) {
        assert.equal(splitOfSubject.get(c.subject) ?? name, name, `subject ${c.subject} is in two splits`);
        splitOfSubject.set(c.subject, name);
      }
    }
    assert.equal(splitOfSubject.size, 300);
  });

  test('adding subjects never moves existing ones', () => {
    const before = membership(splitCases(brats23(150), { seed: 5 }));
    const after = membership(splitCases([...brats23(150), ...brats23(150, 1, 1000)], { seed: 5 }));
    for (const [id, split] of before) assert.equal(after.get(id), split, id);
  });

  test('split sizes follow the fractions within binomial noise', () => {
    const n = 4000;
    const fractions = { train: 0.7, val: 0.1, test: 0.2 };
    const splits = splitCases(brats23(n), { seed: 1, fractions });
    for (const name of SPLIT_NAMES) {
      const p = fractions[name];
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(splits[name].length - n * p) < 5 * sd, `${name}: ${splits[name].length} of ${n}, expected about ${n * p}`);
    }
    assert.deepEqual(splitCases(brats23(50), { seed: 1, fractions: { train: 1, val: 0, test: 0 } }).train.length, 50);
  });

  test('rejects fractions that do not sum to 1 or fall outside [0, 1]', () => {
    assert.throws(() => splitOf('s', { seed: 1, fractions: { train: 0.8, val: 0.1, test: 0.2 } }),
      /splitOf: fractions must sum to 1, got 1.1\d* \(train=0.8, val=0.1, test=0.2\)/);
    assert.throws(() => splitOf('s', { seed: 1, fractions: { train: 1.2, val: -0.2, test: 0 } }), /fraction 'train' must be in \[0, 1\], got 1.2/);
    assert.throws(() => splitCases([], { seed: 0.5 }), /splitCases: seed must be an integer, got 0.5/);
  });
});
