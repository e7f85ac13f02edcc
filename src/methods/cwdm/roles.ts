/** What a cWDM model of one target is conditioned on. */
import { canonicalOrder, type Contrast, type Dataset } from '../../data/index.js';
import type { ConditionalRoles } from '../../training/index.js';
import { assert } from '../../util/index.js';

/** The target and the N − 1 other contrasts of the data set, in canonical order (BraTS: 3 conditions, IXI: 2). */
export function cwdmRoles(dataset: Pick<Dataset, 'root' | 'contrasts'>, target: Contrast | undefined): ConditionalRoles {
  assert(target !== undefined, () => `cwdmRoles: a cWDM model synthesises one target contrast; name it (target), one of ${dataset.contrasts.join(', ')}`);
  assert(dataset.contrasts.includes(target), () =>
    `cwdmRoles: target '${target}' is not a contrast of ${dataset.root} (it has ${dataset.contrasts.join(', ')})`);
  const conditions = canonicalOrder(dataset.contrasts.filter((c) => c !== target));
  assert(conditions.length > 0, () => `cwdmRoles: ${dataset.root} has only '${target}'; cWDM needs at least one other contrast to condition on`);
  return { target, conditions };
}
