/**
 * The three steps that cut a window out of the grid: `crop` to the foreground box of all contrasts, `pad`
 * centred to a shape or to multiples, and a fixed `window`. They share one inverse: the window at −start
 * with the input shape, filled outside with the fill value.
 */
import type { Shape3 } from '../volume/index.js';
import { extractWindow } from '../volume/index.js';
import { foregroundBox } from '../volume/index.js';
import type { CropConfig, PadConfig, WindowConfig } from './preprocessConfig.js';
import { firstVolume, gridRecord, mapVolumes, type PreprocessStep, type VolumeSet, type WindowRecord } from './preprocessStep.js';
import { assert, fmtShape } from '../util/index.js';

function cut(volumes: VolumeSet, kind: WindowRecord['kind'], start: Shape3, shape: Shape3): { volumes: VolumeSet; record: WindowRecord } {
  return {
    volumes: mapVolumes(volumes, (v) => extractWindow(v, start, shape)),
    record: { kind, input: gridRecord(firstVolume(volumes)), start, shape },
  };
}

function uncut(volume: Parameters<typeof extractWindow>[0], record: WindowRecord, fill: number) {
  const back = extractWindow(volume, record.start.map((s) => -s), record.input.shape, fill);
  return { data: back.data, shape: record.input.shape, affine: Float64Array.from(record.input.affine) };
}

export const cropStep: PreprocessStep<CropConfig, WindowRecord> = {
  apply(volumes) {
    const box = foregroundBox(Object.values(volumes));
    assert(box !== null, () => `crop: every voxel of every contrast (${Object.keys(volumes).join(', ')}) is zero; there is no foreground to crop to`);
    return cut(volumes, 'crop', box.start, box.shape);
  },
  invert: (volume, record, { fill }) => uncut(volume, record, fill),
};

/** The padded shape: the given shape, or each axis rounded up to its multiple. */
function padTarget(shape: Shape3, config: PadConfig): Shape3 {
  if ('multiple' in config) return shape.map((n, a) => Math.ceil(n / config.multiple[a]) * config.multiple[a]) as unknown as Shape3;
  for (let a = 0; a < 3; a++) {
    assert(
      shape[a] <= config.shape[a] || config.overflow === 'centreCrop',
      () => `pad: the volume (the foreground after a crop) has size ${fmtShape(shape)}, which does not fit the target shape ` +
        `${fmtShape(config.shape)} (axis ${a}: ${shape[a]} > ${config.shape[a]}); a preset that centre-crops instead ` +
        `(aldm) or pads to multiples (cwdm-brainbox, aldm-brainbox) takes it`,
    );
  }
  return config.shape;
}

/**
 * Where the window starts on an axis of n voxels for a target of r: a pad puts half the padding before and the odd
 * voxel after (MONAI's symmetric SpatialPad); a centre crop starts at ⌊n/2⌋ − ⌊r/2⌋ (MONAI's CenterSpatialCrop).
 */
function windowStart(n: number, r: number): number {
  return n <= r ? -Math.floor((r - n) / 2) : Math.floor(n / 2) - Math.floor(r / 2);
}

export const padStep: PreprocessStep<PadConfig, WindowRecord> = {
  apply(volumes, config) {
    const { shape } = firstVolume(volumes);
    const target = padTarget(shape, config);
    const start = shape.map((n, a) => windowStart(n, target[a])) as unknown as Shape3;
    const { volumes: out, record } = cut(volumes, 'pad', start, target);
    const lost = foregroundOutside(volumes, start, target);
    return { volumes: out, record: lost === 0 ? record : { ...record, foregroundLost: lost } };
  },
  invert: (volume, record, { fill }) => uncut(volume, record, fill),
};

/** Voxels nonzero in any contrast that lie outside the window [start, start + shape). */
function foregroundOutside(volumes: VolumeSet, start: Shape3, shape: Shape3): number {
  const { shape: [nx, ny, nz] } = firstVolume(volumes);
  if (start.every((s, a) => s <= 0 && s + shape[a] >= [nx, ny, nz][a])) return 0;
  const all = Object.values(volumes);
  let lost = 0;
  const inside = (n: number, a: number) => n >= start[a] && n < start[a] + shape[a];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const rowInside = inside(y, 1) && inside(z, 2);
      for (let x = 0; x < nx; x++) {
        if (rowInside && inside(x, 0)) continue;
        const i = x + nx * (y + ny * z);
        if (all.some((v) => v.data[i] !== 0)) lost++;
      }
    }
  }
  return lost;
}

export const windowStep: PreprocessStep<WindowConfig, WindowRecord> = {
  apply: (volumes, config) => cut(volumes, 'window', config.start, config.shape),
  invert: (volume, record, { fill }) => uncut(volume, record, fill),
};
