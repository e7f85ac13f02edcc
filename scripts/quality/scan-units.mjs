// What the quality scripts that score scans in a run's units without any network share (latent-resolution-bound,
// noise-ceiling, aldm-t1ce-bound): their options and data, the block average of a volume and back, brain PSNR and the
// mean ± std line.
import { parseArgs } from 'node:util';
import { F, data, metrics, runs, tensor } from '../../dist/index.js';

/**
 * --data DIR --units RUN [--factors …] [--cases N] and a script's own `options` (parseArgs's): the run's units and span,
 * the block factors, the cases chosen and every option's value.
 */
export async function scanUnitsOptions(defaultFactors, options = {}) {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' }, units: { type: 'string' }, factors: { type: 'string', default: defaultFactors }, cases: { type: 'string' },
      ...options,
    },
  });
  if (values.data === undefined || values.units === undefined) throw new Error('give --data DIR and --units RUN (a run folder whose units to score in)');
  const config = await runs.readAnyRunConfig(values.units);
  const units = { preprocess: config.preprocess, source: values.units };
  const { cases } = await data.discoverDataset(values.data);
  return {
    dataDir: values.data, unitsDir: values.units, units, span: metrics.runUnitsSpan(units), values,
    factors: values.factors.split(',').map(Number), cases: values.cases === undefined ? cases : cases.slice(0, Number(values.cases)),
  };
}

/** `values` (a volume of `shape`, x fastest) averaged over blocks of f voxels per axis and interpolated back (trilinear). */
export function blockAverage(values, shape, f) {
  const [x, y, z] = shape;
  // (N, C, D, H, W) with D = z: the volume's data run x fastest.
  const image = tensor(Float32Array.from(values), { shape: [1, 1, z, y, x] });
  const pooled = F.avgPool3d(image, [f, f, f], { ceilMode: true });
  const back = F.interpolate(pooled, { size: [z, y, x], mode: 'linear', alignCorners: false });
  const result = back.toTypedArray();
  for (const t of [image, pooled, back]) t.dispose();
  return result;
}

/** PSNR of `prediction` against `reference` (both in units, data range `span`) over the stored scan's nonzero voxels. */
export function brainPsnr(prediction, reference, scan, span) {
  let sum = 0, n = 0;
  for (let i = 0; i < reference.length; i++) {
    if (scan.data[i] === 0) continue;
    sum += (prediction[i] - reference[i]) ** 2;
    n += 1;
  }
  return 10 * Math.log10((span * span) / (sum / n));
}

/** `mean ± sample std` of `v`, two decimals. */
export function meanStd(v) {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length < 2 ? NaN : Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1));
  return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
}
