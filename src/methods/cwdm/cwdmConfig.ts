/** What a cWDM run's `methodConfig` is: the U-Net's config, for as many conditions as the run lists. */
import { parseCwdmUNetConfig, type CwdmUNetConfig } from '../../models/wdm/index.js';
import type { Contrast } from '../../data/index.js';
import { assert } from '../../util/index.js';

/** The method's registered name. */
export const CWDM = 'cwdm';

/** The one network of a cWDM run, and the name its weights go by. */
export const UNET = 'unet';

/**
 * A U-Net config (a preset name, a config object, or `{ preset, ...changes }`); with `conditions`, one that takes that
 * many: a preset name is taken for that many conditions, a config must already say so.
 */
export function parseCwdmConfig(raw: unknown, conditions?: readonly Contrast[]): CwdmUNetConfig {
  const config = parseCwdmUNetConfig(typeof raw === 'string' && conditions !== undefined ? { preset: raw, conditions: conditions.length } : raw);
  assert(conditions === undefined || config.conditions === conditions.length,
    () => `methodConfig.conditions is ${config.conditions} but ${conditions!.length} conditions are listed (${conditions!.join(', ')})`);
  return config;
}
