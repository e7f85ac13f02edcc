import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Case } from '../../data/index.js';
import { checkCasesHaveRoles } from '../../training/index.js';
import { cwdmRoles } from './roles.js';

describe('cWDM roles', () => {
  test('the conditions are the other contrasts in canonical order (BraTS 3, IXI 2)', () => {
    assert.deepEqual(cwdmRoles({ root: 'brats', contrasts: ['t1', 't1ce', 't2', 'flair'] }, 't2'),
      { target: 't2', conditions: ['t1', 't1ce', 'flair'] });
    assert.deepEqual(cwdmRoles({ root: 'ixi', contrasts: ['t1', 't2', 'pd'] }, 't1'), { target: 't1', conditions: ['t2', 'pd'] });
    assert.throws(() => cwdmRoles({ root: 'ixi', contrasts: ['t1', 't2', 'pd'] }, 'flair'),
      /cwdmRoles: target 'flair' is not a contrast of ixi \(it has t1, t2, pd\)/);
  });

  test('cases lacking the target or a condition are named with what they lack', () => {
    const make = (id: string, contrasts: string[]): Case => ({
      id, subject: id, format: 'ixi', contrasts: Object.fromEntries(contrasts.map((c) => [c, `${id}-${c}.nii.gz`])),
    });
    const roles = cwdmRoles({ root: 'ixi', contrasts: ['t1', 't2', 'pd'] }, 'pd');
    checkCasesHaveRoles([make('a', ['t1', 't2', 'pd'])], roles);
    assert.throws(() => checkCasesHaveRoles([make('a', ['t1', 't2', 'pd']), make('b', ['t1']), make('c', ['t1', 't2'])], roles),
      /checkCasesHaveRoles: every case needs the target pd and the conditions t1, t2, but 2 do not: b lacks pd, t2; c lacks pd/);
  });
});
