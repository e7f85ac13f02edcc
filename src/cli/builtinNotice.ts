import { builtinModelName, findBuiltinModel, phantomTrainingNotice } from '../runs/index.js';

/** How `--models`/`--model` help names the built-in models. */
export const BUILTIN_HELP = 'or a built-in model, builtin:<name> (mrsynth models list)';

/**
 * Prints, for each built-in model among `specs`, that it was trained on phantoms: every use of one says so, since its
 * outputs look like any model's. An unknown name is refused here, with the list of those that exist.
 */
export async function announceBuiltinModels(specs: readonly string[]): Promise<void> {
  for (const spec of specs) {
    if (builtinModelName(spec) !== undefined) process.stdout.write(`note: ${phantomTrainingNotice(await findBuiltinModel(spec))}\n`);
  }
}
