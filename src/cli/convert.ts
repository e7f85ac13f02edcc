import { promises as fs } from 'node:fs';
import { type Command, Option } from 'commander';
import { convertTorchCheckpoint } from '../convert/index.js';
import { saveSafetensors } from '../io/safetensors/safetensorsFile.js';
import { product } from '../util/helpers.js';
import { type ModelFlags, addModelOptions, modelFromFlags } from './models.js';

interface ConvertFlags extends ModelFlags {
  from: 'pytorch';
  out: string;
  entry?: string;
  force?: boolean;
}

/**
 * `mrsynth convert`: a PyTorch checkpoint (e.g. the cWDM reference's brats_1200000.pt) to our safetensors
 * weights, checked key by key and shape by shape against the network the flags describe.
 */
export function registerConvertCommand(program: Command): void {
  addModelOptions(program.command('convert')
    .description('convert trained weights from another framework into a safetensors weights file for the given network; '
      + 'the checkpoint is read without running any code from it')
    .argument('<checkpoint>', 'the checkpoint file')
    .addOption(new Option('--from <format>', 'the checkpoint\'s format (a torch.save file)').choices(['pytorch']).makeOptionMandatory())
    .requiredOption('--out <file>', 'the weights file to write (.safetensors)'))
    .option('--entry <name>', 'read only this top-level entry of the checkpoint (when it holds the weights more than once, e.g. ema)')
    .option('--force', 'replace the output file if it exists')
    .action(async (checkpoint: string, flags: ConvertFlags) => {
      const { config } = modelFromFlags(flags);
      // Refused before the (possibly large) read and conversion. Checking and writing are not one atomic step:
      // a file that appears in between is replaced, whole, by the atomic write.
      if (!flags.force && await exists(flags.out)) throw new Error(`convert: ${flags.out} exists; pass --force to replace it`);
      const file = await fs.readFile(checkpoint);
      const converted = convertTorchCheckpoint(new Uint8Array(file.buffer, file.byteOffset, file.byteLength),
        { source: checkpoint, model: flags.model, config, entry: flags.entry });
      await saveSafetensors(flags.out, converted.tensors, converted.metadata);

      const tensors = Object.values(converted.tensors);
      const parameters = tensors.reduce((sum, t) => sum + product(t.shape), 0);
      console.log(`read ${checkpoint} (sha256 ${converted.metadata.source_sha256}): `
        + `${converted.prefix === '' ? 'a bare state dict' : `weights under '${converted.prefix}'`}`);
      if (converted.outside.length > 0) {
        console.log(`  left out ${converted.outside.length} other tensor(s): ${converted.outside.slice(0, 5).join(', ')}`
          + `${converted.outside.length > 5 ? ', …' : ''}`);
      }
      if (converted.ignored.length > 0) {
        console.log(`  left out ${converted.ignored.length} non-tensor value(s): ${converted.ignored.slice(0, 5).join(', ')}`
          + `${converted.ignored.length > 5 ? ', …' : ''}`);
      }
      console.log(`wrote ${flags.out}: ${tensors.length} tensors, ${parameters.toLocaleString('en-US')} parameters, float32, `
        + `${flags.model} ${flags.config}${flags.conditions === undefined ? '' : ` with ${flags.conditions} conditions`}`);
    });
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(() => true, () => false);
}
