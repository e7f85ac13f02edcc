/**
 * Finds a network's weights among the tensors of a foreign checkpoint and checks them against the network.
 *
 * Checkpoints wrap the same state dict in different ways: the cWDM reference saves `model.state_dict()` as
 * it is (spec §6), other training scripts nest it (`{'state_dict': …}`, `{'model': …, 'ema': …}`), and a
 * `DataParallel` model prefixes every key with `module.`. Rather than guess from a list of known wrappers, the
 * state dict is taken to be wherever the network's own keys are: every flattened key that ends in one of them
 * votes for the prefix before it, and the prefix with the most votes wins. Everything under that prefix must
 * then match the network exactly (no missing or unexpected key, every shape equal, floating point); tensors
 * outside it (an optimiser state next to the weights) are left out and reported.
 */
import { assert, fmtShape } from '../util/index.js';
import { sameShape } from '../util/index.js';
import type { RawTensor } from '../io/safetensors/index.js';

export interface LocatedStateDict {
  /** What was stripped from each key: '' for a bare state dict, e.g. 'state_dict.module.' for a wrapped one. */
  prefix: string;
  /** The network's tensors, under the network's keys. */
  tensors: Record<string, RawTensor>;
  /** Keys of the checkpoint's tensors outside the prefix, which belong to something else. */
  outside: string[];
}

const FLOAT_DTYPES = new Set(['F16', 'BF16', 'F32', 'F64']);
/** Lists in messages stop after this many items; a wrong config can mismatch hundreds of keys. */
const LISTED = 12;

/**
 * `found`: the checkpoint's tensors under their flattened keys; `expected`: the network's keys and shapes; `integerKeys`:
 * those of the network's tensors that are integers (counters), which must be integers in the checkpoint too; `setAside`:
 * key prefixes within the state dict that belong to training rather than to the network (ALDM's `loss.`, the
 * discriminator a reference model holds as a submodule), left out and reported like tensors outside it.
 * Throws, naming every problem, when the weights cannot be found unambiguously or do not fit the network.
 */
export function locateStateDict(found: Readonly<Record<string, RawTensor>>, expected: ReadonlyMap<string, readonly number[]>,
  where: string, setAside: readonly string[] = [], integerKeys: ReadonlySet<string> = new Set()): LocatedStateDict {
  const keys = Object.keys(found);
  const votes = new Map<string, number>();
  for (const key of keys) {
    // Each suffix of the key that starts after a '.' (or is the whole key) and is a key of the network
    // names one candidate prefix.
    for (let at = 0; at !== -1;) {
      if (expected.has(key.slice(at))) votes.set(key.slice(0, at), (votes.get(key.slice(0, at)) ?? 0) + 1);
      const dot = key.indexOf('.', at);
      at = dot === -1 ? -1 : dot + 1;
    }
  }
  const ranked = [...votes].sort((a, b) => b[1] - a[1]);
  assert(ranked.length > 0, () => {
    const optimiser = keys.some((k) => /(^|\.)state\.\d+\.exp_avg$/.test(k))
      ? ' It looks like an optimiser state (exp_avg, exp_avg_sq), not model weights; the reference saves those as opt<step>.pt.' : '';
    return `${where}: no tensor has a key of the network (such as '${expected.keys().next().value}'); the checkpoint's `
      + `${keys.length} tensor key(s) are ${list(keys)}.${optimiser}`;
  });
  const [[prefix, count]] = ranked;
  const rivals = ranked.filter(([, n]) => n === count).map(([p]) => `'${p}'`);
  assert(rivals.length === 1,
    () => `${where}: the network's weights are in the checkpoint ${rivals.length} times, under ${rivals.join(', ')}; `
      + 'choose one with --entry (e.g. the EMA or the raw weights)');

  const tensors: Record<string, RawTensor> = {};
  const outside: string[] = [];
  for (const key of keys) {
    const own = key.startsWith(prefix) && !setAside.some((part) => key.slice(prefix.length).startsWith(part));
    if (own) tensors[key.slice(prefix.length)] = found[key];
    else outside.push(key);
  }
  const missing = [...expected.keys()].filter((k) => !Object.hasOwn(tensors, k));
  const unexpected = Object.keys(tensors).filter((k) => !expected.has(k));
  const mismatched = [...expected].filter(([k, shape]) => Object.hasOwn(tensors, k) && !sameShape(tensors[k].shape, shape))
    .map(([k, shape]) => `${k}: checkpoint ${fmtShape(tensors[k].shape)}, network ${fmtShape(shape)}`);
  // Weights are floating point; a few buffers are integers (BatchNorm's num_batches_tracked) and stay so.
  const notFloat = Object.entries(tensors).filter(([k, t]) => expected.has(k) && !integerKeys.has(k) && !FLOAT_DTYPES.has(t.dtype))
    .map(([k, t]) => `${k}: ${t.dtype}`);
  const notInteger = Object.entries(tensors).filter(([k, t]) => integerKeys.has(k) && FLOAT_DTYPES.has(t.dtype))
    .map(([k, t]) => `${k}: ${t.dtype}`);
  const problems = [
    missing.length > 0 && `missing keys (${missing.length}): ${list(missing)}`,
    unexpected.length > 0 && `unexpected keys (${unexpected.length}): ${list(unexpected)}`,
    mismatched.length > 0 && `shape mismatches (${mismatched.length}): ${list(mismatched, '; ')}`,
    notFloat.length > 0 && `not floating point (${notFloat.length}): ${list(notFloat, '; ')}`,
    notInteger.length > 0 && `not integer, as the network's counters are (${notInteger.length}): ${list(notInteger, '; ')}`,
  ].filter((p): p is string => p !== false);
  assert(problems.length === 0,
    () => `${where}: the weights${prefix === '' ? '' : ` under '${prefix}'`} do not fit the network `
      + `(is the config the one it was trained with?):\n  ${problems.join('\n  ')}`);
  return { prefix, tensors, outside };
}

function list(items: readonly string[], separator = ', '): string {
  const shown = items.slice(0, LISTED).join(separator);
  return items.length > LISTED ? `${shown}${separator}… and ${items.length - LISTED} more` : shown;
}
