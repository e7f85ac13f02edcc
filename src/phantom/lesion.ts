import { evaluatePlaneWaves, randomPlaneWaves } from './smoothField.js';
import type { Random } from './random.js';

/**
 * A glioma-like lesion as three nested irregular blobs around one centre: the necrotic core inside the
 * enhancing rim inside the oedema. Each blob is an ellipsoid whose radius is modulated along the direction
 * from the centre by a smooth random function on the unit sphere, so outlines are lobulated, not spherical.
 */
export interface Lesion {
  /** Centre, voxel index of the output grid. */
  readonly centre: readonly [number, number, number];
  /** Mean radii, mm: outer edge of the necrosis, of the enhancing rim, of the oedema. */
  readonly radii: { readonly necrosis: number; readonly enhancing: number; readonly oedema: number };
  /** Relative ellipsoid semi-axes (mean 1) of the tumour and of its oedema. */
  readonly axes: readonly [number, number, number];
  readonly oedemaAxes: readonly [number, number, number];
  /**
   * Radius factors by direction on a cube map: for each face (+x, −x, +y, −y, +z, −z) a CUBE_SIZE² lattice of
   * directions spanning the face edge to edge, three factors each (oedema, tumour, core), read back bilinearly.
   * Edge lattice points of neighbouring faces are the same directions, so the factors are continuous.
   */
  readonly shape: Float32Array;
  /** Largest factor of each kind on the map, which bounds the blobs (bilinear reads never exceed it). */
  readonly maxFactor: { readonly oedema: number; readonly tumour: number };
}

const CUBE_SIZE = 33;
/** The oedema reaches at least this much further than the tumour in every direction (plus one voxel). */
const OEDEMA_MARGIN = 1.2;

/**
 * Draws a lesion at `centre`. Radii follow BraTS statistics loosely: enhancing tumour 8–20 mm in radius, a
 * necrotic core of 35–70 % of it, oedema reaching 1.4–2.2 times further. The outlines are exp(Σ a·sin(k·u + φ))
 * over directions u, a few plane waves of wavelength 1.2–4 on the unit sphere (a few lobes per outline),
 * tabulated once on the cube map so each voxel costs a lookup instead of a dozen sines.
 */
export function sampleLesion(rng: Random, centre: readonly [number, number, number]): Lesion {
  const enhancing = rng.uniform(8, 20);
  const axis = () => Math.exp(0.15 * rng.normal());
  const radii = { necrosis: enhancing * rng.uniform(0.35, 0.7), enhancing, oedema: enhancing * rng.uniform(1.4, 2.2) };
  const axes: [number, number, number] = [axis(), axis(), axis()];
  const oedemaAxes: [number, number, number] = [axis(), axis(), axis()];
  const tumourWaves = randomPlaneWaves(rng, 6, 1.5, 4, 0.12);
  const coreWaves = randomPlaneWaves(rng, 4, 1.5, 4, 0.08);
  const oedemaWaves = randomPlaneWaves(rng, 8, 1.2, 3, 0.22);
  const shape = new Float32Array(6 * CUBE_SIZE * CUBE_SIZE * 3);
  let maxOedema = 0, maxTumour = 0;
  for (let face = 0; face < 6; face++) {
    for (let b = 0; b < CUBE_SIZE; b++) {
      for (let a = 0; a < CUBE_SIZE; a++) {
        const [x, y, z] = faceDirection(face, -1 + (2 * a) / (CUBE_SIZE - 1), -1 + (2 * b) / (CUBE_SIZE - 1));
        const oedema = Math.exp(evaluatePlaneWaves(oedemaWaves, x, y, z));
        const tumour = Math.exp(evaluatePlaneWaves(tumourWaves, x, y, z));
        const at = ((face * CUBE_SIZE + b) * CUBE_SIZE + a) * 3;
        shape[at] = oedema;
        shape[at + 1] = tumour;
        shape[at + 2] = tumour * Math.exp(evaluatePlaneWaves(coreWaves, x, y, z));
        maxOedema = Math.max(maxOedema, shape[at]);
        maxTumour = Math.max(maxTumour, shape[at + 1]);
      }
    }
  }
  return { centre, radii, axes, oedemaAxes, shape, maxFactor: { oedema: maxOedema, tumour: maxTumour } };
}

/** Unit direction of lattice point (s, t) ∈ [−1, 1]² of a cube face (the face's own axis is ±1). */
function faceDirection(face: number, s: number, t: number): [number, number, number] {
  const sign = face % 2 === 0 ? 1 : -1;
  const axis = face >> 1;
  const p: [number, number, number] = axis === 0 ? [sign, s, t] : axis === 1 ? [s, sign, t] : [s, t, sign];
  const norm = Math.hypot(p[0], p[1], p[2]);
  return [p[0] / norm, p[1] / norm, p[2] / norm];
}

/** Largest distance from the centre (mm) that any compartment reaches. */
export function lesionReach(lesion: Lesion, width: number): number {
  const oedema = lesion.radii.oedema * Math.max(...lesion.oedemaAxes) * lesion.maxFactor.oedema + width;
  const tumour = lesion.radii.enhancing * Math.max(...lesion.axes) * lesion.maxFactor.tumour;
  return Math.max(oedema, tumour * OEDEMA_MARGIN + 2 * width);
}

/** Soft (partial-volume) membership of a point in each compartment; nested: oedema ≥ enhancing ≥ necrosis. */
export interface LesionMembership {
  oedema: number;
  enhancing: number;
  necrosis: number;
}

/**
 * Membership of the point at offset (dx, dy, dz) mm from the centre. Each boundary is blurred over `width` mm
 * (one voxel), which gives the lesion the same partial-volume edges as the resampled tissues.
 */
export function lesionMembership(lesion: Lesion, dx: number, dy: number, dz: number, width: number, out: LesionMembership): void {
  const [ax, ay, az] = lesion.axes;
  const [ox, oy, oz] = lesion.oedemaAxes;
  const rTumour = Math.hypot(dx / ax, dy / ay, dz / az);
  const rOedema = Math.hypot(dx / ox, dy / oy, dz / oz);
  // Bilinear read of the cube map in the direction of (dx, dy, dz); at the centre any direction will do.
  const mx = Math.abs(dx), my = Math.abs(dy), mz = Math.abs(dz);
  let face: number, s: number, t: number;
  if (mx >= my && mx >= mz && mx > 0) { face = dx > 0 ? 0 : 1; s = dy / mx; t = dz / mx; }
  else if (my >= mz && my > 0) { face = dy > 0 ? 2 : 3; s = dx / my; t = dz / my; }
  else if (mz > 0) { face = dz > 0 ? 4 : 5; s = dx / mz; t = dy / mz; }
  else { face = 0; s = 0; t = 0; }
  const ga = ((s + 1) / 2) * (CUBE_SIZE - 1), gb = ((t + 1) / 2) * (CUBE_SIZE - 1);
  const a0 = Math.min(CUBE_SIZE - 2, Math.floor(ga)), b0 = Math.min(CUBE_SIZE - 2, Math.floor(gb));
  const fa = ga - a0, fb = gb - b0;
  const p = ((face * CUBE_SIZE + b0) * CUBE_SIZE + a0) * 3, row = CUBE_SIZE * 3;
  const m = lesion.shape;
  const w00 = (1 - fa) * (1 - fb), w10 = fa * (1 - fb), w01 = (1 - fa) * fb, w11 = fa * fb;
  const oedemaFactor = w00 * m[p] + w10 * m[p + 3] + w01 * m[p + row] + w11 * m[p + row + 3];
  const tumourFactor = w00 * m[p + 1] + w10 * m[p + 4] + w01 * m[p + row + 1] + w11 * m[p + row + 4];
  const coreFactor = w00 * m[p + 2] + w10 * m[p + 5] + w01 * m[p + row + 2] + w11 * m[p + row + 5];

  const tumour = lesion.radii.enhancing * tumourFactor;
  // Oedema surrounds the tumour everywhere: at least OEDEMA_MARGIN of its radius plus one voxel beyond it,
  // whatever the oedema's own outline does, so the tumour core never borders normal tissue directly.
  out.oedema = Math.max(edge(lesion.radii.oedema * oedemaFactor - rOedema, width), edge(tumour * OEDEMA_MARGIN + width - rTumour, width));
  out.enhancing = Math.min(out.oedema, edge(tumour - rTumour, width));
  out.necrosis = Math.min(out.enhancing, edge(lesion.radii.necrosis * coreFactor - rTumour, width));
}

/** Linear ramp from 0 (outside by half a width) to 1 (inside by half a width). */
function edge(inside: number, width: number): number {
  const s = 0.5 + inside / width;
  return s <= 0 ? 0 : s >= 1 ? 1 : s;
}
