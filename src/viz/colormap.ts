/**
 * The colour scale of absolute-error panels: black through red and orange to white. Brightness rises
 * monotonically, so the map still reads in gray print, and it is unmistakable next to gray panels.
 */
import type { Rgb } from './canvas.js';

/** Anchor colours at fractions of the window; colours between anchors are linear in RGB. */
const ANCHORS: readonly { readonly at: number; readonly rgb: Rgb }[] = [
  { at: 0, rgb: [0, 0, 0] },
  { at: 0.35, rgb: [190, 30, 20] },
  { at: 0.65, rgb: [250, 150, 20] },
  { at: 0.85, rgb: [255, 230, 90] },
  { at: 1, rgb: [255, 255, 255] },
];

/** Colour of a window fraction t in [0, 1] (values outside are clamped). */
export function errorColour(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t));
  let i = 1;
  while (i < ANCHORS.length - 1 && x > ANCHORS[i].at) i++;
  const a = ANCHORS[i - 1];
  const b = ANCHORS[i];
  const f = (x - a.at) / (b.at - a.at);
  return [0, 1, 2].map((c) => Math.round(a.rgb[c] + f * (b.rgb[c] - a.rgb[c]))) as unknown as Rgb;
}
