import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { checkJsonNesting } from '../io/index.js';
import type { PresetChanges } from '../training/index.js';

/** A config file is a few hundred bytes; a larger one is not a network config. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * The parser of `train --config`: one of `presets`, or changes to one as JSON (`{"preset": "cpu-f2", "autoencoder":
 * {"preset": "cpu-f2", "ch": 48}}`), given inline or as a .json file. Only the preset is checked here; the method
 * checks every field of the changes when it builds the run's config, naming the field.
 */
export function networkConfigOption(presets: readonly string[]): (value: string) => string | PresetChanges {
  return (value) => {
    if (presets.includes(value)) return value;
    const inline = value.trim().startsWith('{');
    if (!inline && !value.endsWith('.json')) {
      throw new InvalidArgumentError(`expected a preset (${presets.join(', ')}), changes to one as JSON, or a .json file of them, got '${value}'`);
    }
    const where = inline ? 'the JSON given' : value;
    const text = inline ? value : readConfigFile(value);
    let parsed: unknown;
    try {
      checkJsonNesting(text, 16, where);
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InvalidArgumentError(`${where} is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidArgumentError(`${where} must be a JSON object of changes to a preset, got ${JSON.stringify(parsed)?.slice(0, 80)}`);
    }
    const { preset } = parsed as Record<string, unknown>;
    if (typeof preset !== 'string' || !presets.includes(preset)) {
      throw new InvalidArgumentError(`${where}: "preset" must name the preset the changes start from (${presets.join(', ')}), got ${JSON.stringify(preset)}`);
    }
    return parsed as PresetChanges;
  };
}

function readConfigFile(path: string): string {
  try {
    const size = statSync(path).size;
    if (size > MAX_CONFIG_BYTES) throw new Error(`it holds ${size} bytes, more than a network config's ${MAX_CONFIG_BYTES}`);
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read the config file ${path} (${(error as Error).message})`);
  }
}
