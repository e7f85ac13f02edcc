import { InvalidArgumentError } from 'commander';

/**
 * The value of `--preprocess`: a preset name, passed on as it is, or a preprocessing config as JSON. Either is
 * checked by parsePreprocessConfig where it is used; only JSON that does not parse is refused here.
 */
export function parsePreprocessOption(value: string): unknown {
  if (!value.trim().startsWith('{')) return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`--preprocess must be a preset name or JSON, got '${value}' (${(error as Error).message})`);
  }
}
