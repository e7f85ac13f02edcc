/**
 * The ALDM method on the seam every method serves through: its config, its parameter counts as the reference reports
 * them, and its pipeline's codec and denoiser against the reference fixture (built from the fixture's weights as an
 * opened run would be).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAldmFixture } from '../../models/aldm/aldmFixture.testSupport.js';
import { tensorToRaw } from '../../io/safetensors/index.js';
import { parseAnyRunConfig, type AnyRunConfig } from '../../runs/index.js';
import { parsePreprocessConfig } from '../../transforms/index.js';
import { Generator, memory, setNumThreads, tidy, type Tensor } from '../../tensor/index.js';
import type { DiffusionPipeline } from '../../pipelines/index.js';
import type { AldmUNet, VQModel } from '../../models/aldm/index.js';
import { aldmCodec } from './aldmCodec.js';
import { aldmMethod } from './aldmMethod.js';
import { AldmDenoiser, type AldmCondition } from './aldmDenoiser.js';
import { parseAldmConfig } from './aldmConfig.js';

setNumThreads(1);

function assertClose(actual: Tensor, expected: Tensor, what: string): void {
  const a = actual.toTypedArray() as Float32Array;
  const b = expected.toTypedArray() as Float32Array;
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  assert.ok(worst <= Math.max(1e-5, 1e-4 * scale), `${what}: largest difference ${worst} (values up to ${scale})`);
}

/** An imported-looking run of the fixture's modules translating t1 into `target`. */
function runConfig(target: 't1ce' | 'flair' = 't1ce', changes: Record<string, unknown> = {}): AnyRunConfig {
  return parseAnyRunConfig({
    format: 'mrsynth-run', formatVersion: 2, method: 'aldm', target, conditions: ['t1'],
    methodConfig: parseAldmConfig('reference-tiny'), weights: { unet: 'unet.safetensors', autoencoder: 'autoencoder.safetensors' },
    preprocess: parsePreprocessConfig('aldm-brainbox'),
    schedule: { betaSchedule: 'scaledLinear', numTrainTimesteps: 1000, predictionType: 'epsilon', timestepSpacing: 'ldm' },
    origin: { kind: 'imported', from: 'pytorch', source: 'aldm-reference-tiny.safetensors', sourceSha256: 'd'.repeat(64), sourcePrefix: '' },
    createdWith: { mrsynth: 'test', libtorch: 'test' },
    ...changes,
  });
}

describe('the ALDM method', () => {
  test("`code` counts what the reference's modules hold, part by part", () => {
    const networks = aldmMethod.buildNetworks(aldmMethod.parseConfig('code'));
    try {
      const counts: Record<string, number> = Object.fromEntries(aldmMethod.parameterCounts(networks).map(({ part, parameters }) => [part, parameters]));
      const firstStage = ['encoder', 'decoder', 'codebook', 'quant_conv', 'post_quant_conv', 'MS-SPADE'].reduce((n, part) => n + counts[part], 0);
      assert.deepEqual(counts, {
        encoder: 2_238_340, decoder: 4_230_721, codebook: 32_768, quant_conv: 20, post_quant_conv: 20, 'MS-SPADE': 18_932_428,
        'U-Net input blocks': 5_978_752, 'U-Net middle': 7_607_296, 'U-Net output blocks': 19_266_432, 'U-Net time embedding': 328_704,
        'U-Net label embedding': 2_048, 'U-Net head': 14_084,
      });
      assert.equal(firstStage, 25_434_297);
      assert.equal(Object.values(networks).reduce((n, network) => n + network.numParameters(), 0), 25_434_297 + 33_197_316);
    } finally {
      for (const network of Object.values(networks)) network.dispose();
    }
  });

  test('its config names what is wrong: a source it has no class for, mismatched class counts, unknown keys', () => {
    assert.throws(() => parseAldmConfig('tiny', ['pd']), /the source pd is not one of the model's contrasts \(t1, t1ce, t2, flair\)/);
    assert.deepEqual(parseAldmConfig('tiny', ['t1', 't2']).contrasts, ['t1', 't1ce', 't2', 'flair']);
    assert.throws(() => parseAldmConfig({ autoencoder: 'reference-tiny', unet: 'reference-tiny', contrasts: ['t1', 't2', 'pd'] }),
      /3 contrasts \(t1, t2, pd\) need 3 classes, but the autoencoder's MS-SPADE has 4/);
    // A preset's parts take as many classes as the contrasts listed.
    const ixi = parseAldmConfig({ preset: 'tiny', contrasts: ['t1', 't2', 'pd'] });
    assert.deepEqual([ixi.autoencoder.numClasses, ixi.unet.numClasses], [3, 3]);
    assert.throws(() => parseAldmConfig({ preset: 'tiny', scale: 2 }), /unknown key 'scale'/);
    assert.throws(() => parseAldmConfig('huge'), /preset must be one of code, paper-unet, cpu, cpu-f2, tiny, reference-tiny, got "huge"/);
    const config = parseAldmConfig('tiny');
    assert.deepEqual(parseAldmConfig(JSON.parse(JSON.stringify(config))), config);
  });

  test('checkRun refuses a schedule that predicts other than the U-Net learnt, intensities mapped twice, or a target it has no class for', () => {
    aldmMethod.checkRun(runConfig(), 'run');
    const sampleSchedule = { betaSchedule: 'scaledLinear', numTrainTimesteps: 1000, predictionType: 'sample', timestepSpacing: 'ldm' };
    // An imported U-Net is the reference's, which predicts ε.
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { schedule: sampleSchedule }), 'runs/x'),
      /runs\/x: the U-Net was trained to predict epsilon, but the run's schedule says 'sample'/);
    // A trained one predicts what its stage 3 was told to, and the schedule must say the same.
    const trainedFor = (predictionType?: 'sample' | 'residual') => ({ ...parseAldmConfig('reference-tiny'), latentScale: 2,
      training: { stage: 'diffusion', ...(predictionType && { predictionType }) } });
    aldmMethod.checkRun(runConfig('t1ce', { methodConfig: trainedFor('sample'), schedule: sampleSchedule }), 'run');
    // A 'residual' U-Net's denoiser adds the translation back: the samplers see x̂₀.
    aldmMethod.checkRun(runConfig('t1ce', { methodConfig: trainedFor('residual'), schedule: sampleSchedule }), 'run');
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { methodConfig: trainedFor('residual') }), 'runs/x'),
      /runs\/x: the U-Net was trained to predict residual \(sample for the samplers\), but the run's schedule says 'epsilon'/);
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { methodConfig: trainedFor('sample') }), 'runs/x'),
      /runs\/x: the U-Net was trained to predict sample, but the run's schedule says 'epsilon'/);
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { methodConfig: trainedFor(), schedule: sampleSchedule }), 'runs/x'),
      /the U-Net was trained to predict epsilon, but the run's schedule says 'sample'/);
    const twice = parsePreprocessConfig({ preset: 'custom', steps: [{ kind: 'intensity', preset: 'aldm' }, { kind: 'intensity', preset: 'aldm' }] });
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { preprocess: twice }), 'runs/x'),
      /runs\/x: an ALDM run must map each contrast's intensities exactly once, got 2 intensity steps/);
    assert.throws(() => aldmMethod.checkRun(runConfig('t1ce', { target: 'pd' }), 'runs/x'), /the target pd is not one of the model's contrasts/);
  });

  describe("its codec, denoiser and pipeline, with the reference fixture's weights", async () => {
    const fixture = await readAldmFixture();
    const raw = (prefix: string) => Object.fromEntries(Object.entries(fixture.stateDict(prefix)).map(([key, t]) => [key, tensorToRaw(t)]));
    const weights = { unet: raw('unet'), autoencoder: raw('vqgan') };
    const pipeline = aldmMethod.pipeline(runConfig(), weights, 'test') as DiffusionPipeline<AldmCondition>;
    // The pipeline's codec and denoiser, built the same way over the same weights (the pipeline keeps its own private).
    const networks = aldmMethod.buildNetworks(parseAldmConfig('reference-tiny'));
    networks.unet.loadStateDict(fixture.stateDict('unet'));
    networks.autoencoder.loadStateDict(fixture.stateDict('vqgan'));
    const unet = networks.unet as AldmUNet;
    const vqgan = networks.autoencoder as VQModel;
    const codec = aldmCodec(vqgan, 16);
    const denoiser = new AldmDenoiser(unet, vqgan, 1);

    test("the condition of a source image: its quantised latent and its MS-SPADE translation to each sample's target, concatenated as the reference does", () => {
      const condition = denoiser.condition(codec.encode(fixture.read('inputs.source')), codec, fixture.read('inputs.target_class'));
      assertClose(condition.latents, fixture.read('ldm.c_concat'), 'c_concat');
      assert.deepEqual(Array.from(condition.classes.toTypedArray(), Number), [1, 3]);
      const byDefault = denoiser.condition(codec.encode(fixture.read('inputs.source')), codec);
      assert.deepEqual(Array.from(byDefault.classes.toTypedArray(), Number), [1, 1], "without labels, the run's own target");
    });

    test("ε̂ of the U-Net on [x_t ‖ c_concat] at the fixture's timesteps and classes", () => {
      const eps = denoiser.predict(fixture.read('inputs.x_t'), fixture.read('inputs.t'),
        { latents: fixture.read('ldm.c_concat'), classes: fixture.read('inputs.target_class') });
      assertClose(eps, fixture.read('outputs.unet'), 'ε̂');
    });

    test("a U-Net trained on the 'residual' x₀ predicts what MS-SPADE's translation misses: the denoiser adds the translation (c_concat's last latent) back", () => {
      const residual = new AldmDenoiser(unet, vqgan, 1, { correctsTranslation: true });
      const zChannels = vqgan.config.zChannels;
      tidy(() => {
        const concat = fixture.read('ldm.c_concat');
        const x0 = residual.predict(fixture.read('inputs.x_t'), fixture.read('inputs.t'), { latents: concat, classes: fixture.read('inputs.target_class') });
        assertClose(x0, fixture.read('outputs.unet').add(concat.narrow(1, concat.shape[1] - zChannels, zChannels)), 'x̂₀');
      });
    });

    test('the codec decodes a sampled latent as the reference does, and names the axis multiple it needs', () => {
      assertClose(codec.decode(fixture.read('ddim.run.samples')), fixture.read('ddim.run.decoded'), 'decoded');
      assert.deepEqual(codec.latentShape([2, 1, 16, 32, 16]), [2, 4, 4, 8, 4]);
      assert.throws(() => codec.checkImageShape([1, 1, 16, 30, 16]), /every axis a multiple of 16 \(the autoencoder halves 2 and the U-Net 2 times\), got \[1,1,16,30,16\]/);
    });

    test("without diffusion, each target decoded from MS-SPADE's translation alone is the reference's decode of it (outputs.spade_decoded)", () => {
      const source = fixture.read('inputs.source');
      const expected = fixture.read('outputs.spade_decoded');
      // The fixture's two samples are translated into classes 1 and 3 (t1ce, flair); the pipeline takes one target per batch.
      for (const [k, target] of [[0, 't1ce'], [1, 'flair']] as const) {
        const tensors = memory().numTensors;
        const image = tidy(() => {
          const encoded = pipeline.encodeConditions(source.narrow(0, k, 1));
          try {
            return pipeline.decodeConditionEstimate(encoded, { target });
          } finally {
            encoded.dispose();
          }
        });
        assert.equal(memory().numTensors, tensors + 1, 'only the decoded image is left');
        tidy(() => assertClose(image, expected.narrow(0, k, 1), `decoded translation into ${target}`));
        image.dispose();
      }
      assert.ok(pipeline.hasConditionEstimate);
    });

    test('sampling (DDIM-5, ldm spacing, η = 1) is a function of the seed, for the run\'s target by default or the classes given', () => {
      const scheduler = pipeline.scheduler({ kind: 'ddim', steps: 5, eta: 1 });
      assert.deepEqual(scheduler.timesteps, [801, 601, 401, 201, 1]);
      const source = fixture.read('inputs.source');
      const draw = (seed: number, target?: string) => tidy(() => {
        const generator = new Generator(seed);
        try {
          return pipeline.sample(source, scheduler, { generator, target }).toTypedArray() as Float32Array;
        } finally {
          generator.dispose();
        }
      });
      const tensors = memory().numTensors;
      const a = draw(5);
      assert.equal(memory().numTensors, tensors, 'sampling frees every tensor it makes');
      assert.deepEqual(draw(5), a);
      assert.notDeepEqual(draw(6), a);
      assert.ok(a.every(Number.isFinite) && a.length === 2 * 16 * 32 * 16);
      // The run's target is t1ce (class 1): asking for t1ce explicitly gives the same; flair (class 3) does not.
      assert.deepEqual(pipeline.targets, ['t1', 't1ce', 't2', 'flair']);
      assert.deepEqual(draw(5, 't1ce'), a);
      assert.notDeepEqual(draw(5, 'flair'), a);
      assert.throws(() => draw(5, 'pd'), /this model synthesises t1, t1ce, t2, flair, not 'pd'/);
      // Encoded once, the source serves both targets with the same draws as encoding it per call.
      const encoded = pipeline.encodeConditions(source);
      try {
        for (const target of ['t1ce', 'flair']) {
          const generator = new Generator(5);
          try {
            assert.deepEqual(tidy(() => pipeline.sample(encoded, scheduler, { generator, target }).toTypedArray()), draw(5, target));
          } finally {
            generator.dispose();
          }
        }
      } finally {
        encoded.dispose();
      }
    });
  });
});

