import { evaluatePlaneWaves, randomPlaneWaves, type PlaneWaves } from './smoothField.js';
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
  /** Log-radius modulation on the unit sphere: shared by core and rim, the core's own, the oedema's. */
  readonly tumourShape: PlaneWaves;
  readonly coreShape: PlaneWaves;
  readonly oedemaShape: PlaneWaves;
}

/**
 * Draws a lesion at `centre`. Radii follow BraTS statistics loosely: enhancing tumour 8–20 mm in radius, a
 * necrotic core of 35–70 % of it, oedema reaching 1.4–2.2 times further.
 */
export function sampleLesion(rng: Random, centre: readonly [number, number, number]): Lesion {
  const enhancing = rng.uniform(8, 20);
  const axis = () => Math.exp(0.15 * rng.normal());
  return {
    centre,
    radii: { necrosis: enhancing * rng.uniform(0.35, 0.7), enhancing, oedema: enhancing * rng.uniform(1.4, 2.2) },
    axes: [axis(), axis(), axis()],
    oedemaAxes: [axis(), axis(), axis()],
    // Wavelengths are on the unit sphere (radius 1), so 1.5–4 gives a few lobes around the outline.
    tumourShape: randomPlaneWaves(rng, 6, 1.5, 4, 0.12),
    coreShape: randomPlaneWaves(rng, 4, 1.5, 4, 0.08),
    oedemaShape: randomPlaneWaves(rng, 8, 1.2, 3, 0.22),
  };
}

/** Largest distance from the centre (mm) that any compartment reaches: each modulation is at most Σ|a_m|. */
export function lesionReach(lesion: Lesion, width: number): number {
  const oedema = lesion.radii.oedema * Math.max(...lesion.oedemaAxes) * Math.exp(amplitudeSum(lesion.oedemaShape)) + width;
  const tumour = lesion.radii.enhancing * Math.max(...lesion.axes) * Math.exp(amplitudeSum(lesion.tumourShape));
  return Math.max(oedema, tumour * OEDEMA_MARGIN + 2 * width);
}

function amplitudeSum(field: PlaneWaves): number {
  let sum = 0;
  for (let m = 4; m < field.waves.length; m += 5) sum += Math.abs(field.waves[m]);
  return sum;
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
  const r = Math.hypot(dx, dy, dz);
  // The direction from the centre; at the centre itself any direction will do.
  const ux = r > 0 ? dx / r : 1, uy = r > 0 ? dy / r : 0, uz = r > 0 ? dz / r : 0;
  const oedema = edge(lesion.radii.oedema * Math.exp(evaluatePlaneWaves(lesion.oedemaShape, ux, uy, uz)) - rOedema, width);
  // Most points near a lesion lie outside the tumour's largest possible extent; they skip its shape functions.
  // (The dilated tumour below is empty from rTumour ≥ OEDEMA_MARGIN·tumour + 1.5·width on.)
  if (rTumour >= OEDEMA_MARGIN * lesion.radii.enhancing * Math.exp(amplitudeSum(lesion.tumourShape)) + 1.5 * width) {
    out.oedema = oedema;
    out.enhancing = out.necrosis = 0;
    return;
  }
  const tumour = lesion.radii.enhancing * Math.exp(evaluatePlaneWaves(lesion.tumourShape, ux, uy, uz));
  // Oedema surrounds the tumour everywhere: at least OEDEMA_MARGIN of its radius plus one voxel beyond it,
  // whatever the oedema's own outline does, so the tumour core never borders normal tissue directly.
  out.oedema = Math.max(oedema, edge(tumour * OEDEMA_MARGIN + width - rTumour, width));
  out.enhancing = Math.min(out.oedema, edge(tumour - rTumour, width));
  if (out.enhancing === 0) {
    out.necrosis = 0;
    return;
  }
  const core = (lesion.radii.necrosis / lesion.radii.enhancing) * tumour * Math.exp(evaluatePlaneWaves(lesion.coreShape, ux, uy, uz));
  out.necrosis = Math.min(out.enhancing, edge(core - rTumour, width));
}

const OEDEMA_MARGIN = 1.2;

/** Linear ramp from 0 (outside by half a width) to 1 (inside by half a width). */
function edge(inside: number, width: number): number {
  const s = 0.5 + inside / width;
  return s <= 0 ? 0 : s >= 1 ? 1 : s;
}
