/**
 * Orthogonal slice pictures of co-registered volumes: one column per volume (sources, synthesis,
 * reference, error), one row per view (axial, coronal, sagittal), so the eye compares contrasts across a
 * row at identical anatomy.
 *
 * Display conventions, also printed in the picture's footer:
 * - Every volume is first brought to RAS+ by permuting and flipping its voxel axes (no interpolation), so
 *   stored orientation (LPS, LAS, …) never changes what is shown.
 * - Neurological convention: the patient's right is on the image's right. Axial views have anterior at
 *   the top, coronal and sagittal views superior at the top, sagittal views anterior on the left. Each
 *   panel carries R/L, A/P, S/I letters on its edges.
 * - Pixels are square in millimetres: voxels are replicated (nearest neighbour) so that a 2 mm axis is
 *   drawn twice as long as a 1 mm axis.
 * - Gray panels are windowed per volume (default: 0.5th–99.5th percentile of nonzero voxels); error
 *   panels use a colour scale from 0 to the high percentile, shown with a colour bar and its numbers.
 */
import type { Affine, Shape3, Volume } from '../volume/index.js';
import { applyAffine, formatAffine, voxelSizes, type Vec3 } from '../volume/index.js';
import { compareGrids } from '../data/index.js';
import { orientationCodes, rasPermutation } from '../volume/index.js';
import { permuteAxes } from '../volume/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Canvas, type Rgb } from './canvas.js';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, LINE_ADVANCE, textWidth } from './bitmapFont.js';
import { errorColour } from './colormap.js';
import { DEFAULT_WINDOW, errorWindow, intensityWindow, windowFraction, type IntensityWindow, type WindowSpec } from './intensityWindow.js';
import { MID_SLICE, resolveSlicePoint, type SlicePoint } from './slicePoint.js';

export type PanelKind = 'gray' | 'error';
export const PANEL_KINDS: readonly PanelKind[] = ['gray', 'error'];

export interface SlicePanel {
  readonly name: string;
  readonly volume: Volume;
  /** 'gray' (default) for images, 'error' for nonnegative error maps such as |pred − ref|. */
  readonly kind?: PanelKind;
}

export interface RenderSlicesOptions {
  /** Where the three slices cross; default the middle voxel of the RAS grid. */
  readonly slice?: SlicePoint;
  /** Display window for every panel; default p0.5–p99.5 of nonzero voxels. */
  readonly window?: WindowSpec;
  /**
   * Size of one picture pixel in mm. Default: the smallest voxel size divided by the largest integer
   * that keeps the longest panel side within 256 pixels (at least 1), so small grids are enlarged by
   * whole-voxel replication and typical 1 mm brains are drawn one pixel per voxel.
   */
  readonly pixelMm?: number;
}

export type SliceView = 'axial' | 'coronal' | 'sagittal';

/** Where one panel's image landed in the picture, for callers that annotate or inspect it. */
export interface PanelPlacement {
  readonly name: string;
  readonly view: SliceView;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface RenderedSlices {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly placements: readonly PanelPlacement[];
}

/**
 * How a view maps the RAS grid onto the screen: which axis runs across (and whether it runs right to
 * left), which runs down (always from its high end at the top), which is fixed, and the edge letters.
 */
interface ViewGeometry {
  readonly view: SliceView;
  readonly across: number;
  readonly acrossReversed: boolean;
  readonly down: number;
  readonly fixed: number;
  readonly letters: { readonly left: string; readonly right: string; readonly top: string; readonly bottom: string };
}

const VIEWS: readonly ViewGeometry[] = [
  { view: 'axial', across: 0, acrossReversed: false, down: 1, fixed: 2, letters: { left: 'L', right: 'R', top: 'A', bottom: 'P' } },
  { view: 'coronal', across: 0, acrossReversed: false, down: 2, fixed: 1, letters: { left: 'L', right: 'R', top: 'S', bottom: 'I' } },
  { view: 'sagittal', across: 1, acrossReversed: true, down: 2, fixed: 0, letters: { left: 'A', right: 'P', top: 'S', bottom: 'I' } },
];
const WORLD_AXIS_NAMES = ['x', 'y', 'z'];
const VOXEL_AXIS_NAMES = ['i', 'j', 'k'];

const LONGEST_PANEL_PX = 256;
const MARGIN = 10;
/** Space around each panel for its edge letters. */
const GUTTER = LINE_ADVANCE + 2;
/** Extra space between columns, so one panel's R and the next panel's L do not read as one word. */
const COLUMN_GAP = 8;
const HEADER_SCALE = 2;
const COLOUR_BAR_HEIGHT = 10;
const BACKGROUND: Rgb = [40, 40, 40];
const TEXT: Rgb = [230, 230, 230];
const LETTERS: Rgb = [255, 200, 0];

interface RasPanel {
  readonly name: string;
  readonly kind: PanelKind;
  readonly data: Float32Array;
  readonly window: IntensityWindow;
}

/** Renders the panels as one PNG; pure apart from the CPU it takes. */
export function renderSlices(panels: readonly SlicePanel[], options: RenderSlicesOptions = {}): RenderedSlices {
  assert(panels.length > 0, () => 'renderSlices: panels is empty; give at least one {name, volume}');
  const windowSpec = options.window ?? DEFAULT_WINDOW;
  const reoriented = panels.map((panel, index) => {
    const kind = panel.kind ?? 'gray';
    assert(PANEL_KINDS.includes(kind), () => `renderSlices: panel ${index} ('${panel.name}') has kind '${kind}', expected one of ${PANEL_KINDS.join(', ')}`);
    return { panel, kind, ras: permuteAxes(panel.volume, rasPermutation(panel.volume.affine)) };
  });
  const { shape, affine } = reoriented[0].ras;
  // Same rule as `mrsynth data scan` (compareGrids), applied after reorientation: differently stored
  // volumes of one grid are accepted, anything that would need resampling is refused.
  for (const { panel, ras } of reoriented.slice(1)) {
    assert(
      compareGrids(ras, { shape, affine }).same,
      () =>
        `renderSlices: '${panel.name}' is not on the grid of '${panels[0].name}' once both are in RAS+: ` +
        `shape ${fmtShape(ras.shape)} vs ${fmtShape(shape)}, affine ${formatAffine(ras.affine)} vs ${formatAffine(affine)} ` +
        `(stored as ${orientationCodes(panel.volume.affine)} and ${orientationCodes(panels[0].volume.affine)}); resample them onto one grid first`,
    );
  }
  const spacing = voxelSizes(affine);
  const pixelMm = options.pixelMm ?? defaultPixelMm(shape, spacing);
  assert(Number.isFinite(pixelMm) && pixelMm > 0, () => `renderSlices: pixelMm must be a positive number, got ${pixelMm}`);
  const centre = resolveSlicePoint(options.slice ?? MID_SLICE, shape, affine);
  const ras: RasPanel[] = reoriented.map(({ panel, kind, ras: volume }) => ({
    name: panel.name,
    kind,
    data: volume.data,
    window: kind === 'error' ? errorWindow(volume.data, windowSpec) : intensityWindow(volume.data, windowSpec),
  }));
  return drawPicture(ras, { shape, affine, spacing, pixelMm, centre, windowSpec });
}

function defaultPixelMm(shape: Shape3, spacing: Vec3): number {
  const smallest = Math.min(...spacing);
  const longestInSmallest = Math.max(...shape.map((n, a) => (n * spacing[a]) / smallest));
  return smallest / Math.max(1, Math.floor(LONGEST_PANEL_PX / longestInSmallest));
}

interface Geometry {
  readonly shape: Shape3;
  readonly affine: Affine;
  readonly spacing: Vec3;
  readonly pixelMm: number;
  readonly centre: Vec3;
  readonly windowSpec: WindowSpec;
}

/** Panel side in pixels for `n` voxels of `spacing` mm. */
function sidePx(n: number, spacing: number, pixelMm: number): number {
  return Math.max(1, Math.round((n * spacing) / pixelMm));
}

/** Voxel index shown at pixel `p` along an axis, nearest neighbour at the pixel centre. */
function voxelAt(p: number, n: number, spacing: number, pixelMm: number): number {
  return Math.min(n - 1, Math.floor(((p + 0.5) * pixelMm) / spacing));
}

function drawPicture(panels: readonly RasPanel[], g: Geometry): RenderedSlices {
  const sizes = VIEWS.map((v) => ({
    width: sidePx(g.shape[v.across], g.spacing[v.across], g.pixelMm),
    height: sidePx(g.shape[v.down], g.spacing[v.down], g.pixelMm),
  }));
  const panelColumnWidth = Math.max(...sizes.map((s) => s.width));
  const columnWidth = panelColumnWidth + 2 * GUTTER + COLUMN_GAP;
  const rowLabels = VIEWS.map((v) => rowLabelLines(v, g));
  const rowLabelWidth = Math.max(...rowLabels.flat().map((line) => textWidth(line))) + GUTTER;
  const headerHeight = GLYPH_HEIGHT * HEADER_SCALE + 6;
  const scaleBandHeight = panels.some((p) => p.kind === 'error') ? COLOUR_BAR_HEIGHT + 4 + LINE_ADVANCE : LINE_ADVANCE;
  const width = 2 * MARGIN + rowLabelWidth + panels.length * columnWidth - COLUMN_GAP;
  const footer = wrapText(footerText(g.windowSpec, panels), width - 2 * MARGIN);
  const rowTops: number[] = [];
  let y = MARGIN + headerHeight;
  for (const size of sizes) {
    rowTops.push(y);
    y += size.height + 2 * GUTTER;
  }
  const scaleBandTop = y;
  const footerTop = scaleBandTop + scaleBandHeight + LINE_ADVANCE;
  const height = footerTop + footer.length * LINE_ADVANCE + MARGIN;

  const canvas = new Canvas(width, height, BACKGROUND);
  VIEWS.forEach((_, row) => {
    rowLabels[row].forEach((line, n) => canvas.drawText(line, MARGIN, rowTops[row] + GUTTER + n * LINE_ADVANCE, TEXT));
  });
  const placements: PanelPlacement[] = [];
  panels.forEach((panel, column) => {
    const left = MARGIN + rowLabelWidth + column * columnWidth;
    drawHeader(canvas, panel.name, left, MARGIN, columnWidth - COLUMN_GAP);
    VIEWS.forEach((v, row) => {
      const { width: w, height: h } = sizes[row];
      const x = left + GUTTER + Math.floor((panelColumnWidth - w) / 2);
      const top = rowTops[row] + GUTTER;
      drawSlice(canvas, panel, v, g, x, top, w, h);
      drawEdgeLetters(canvas, v, x, top, w, h);
      placements.push({ name: panel.name, view: v.view, x, y: top, width: w, height: h });
    });
    drawScale(canvas, panel, left + GUTTER, scaleBandTop, panelColumnWidth);
  });
  footer.forEach((line, n) => canvas.drawText(line, MARGIN, footerTop + n * LINE_ADVANCE, TEXT));
  return { png: canvas.encodePng(), width, height, placements };
}

/** The view's name, then where its slice lies: RAS voxel index and world coordinate. */
function rowLabelLines(v: ViewGeometry, g: Geometry): string[] {
  const world = applyAffine(g.affine, g.centre)[v.fixed];
  return [v.view, `${VOXEL_AXIS_NAMES[v.fixed]}=${g.centre[v.fixed]}`, `${WORLD_AXIS_NAMES[v.fixed]}=${formatNumber(world)}mm`];
}

function drawHeader(canvas: Canvas, name: string, left: number, top: number, columnWidth: number): void {
  const room = columnWidth - 4;
  const scale = textWidth(name, HEADER_SCALE) <= room ? HEADER_SCALE : 1;
  const maxChars = Math.floor((room + 1) / GLYPH_ADVANCE);
  const text = textWidth(name, scale) <= room ? name : `${[...name].slice(0, Math.max(1, maxChars - 2)).join('')}..`;
  canvas.drawText(text, left + Math.floor((columnWidth - textWidth(text, scale)) / 2), top, TEXT, scale);
}

function drawSlice(canvas: Canvas, panel: RasPanel, v: ViewGeometry, g: Geometry, x0: number, y0: number, w: number, h: number): void {
  const [nx, ny] = g.shape;
  const strides = [1, nx, nx * ny];
  const nAcross = g.shape[v.across];
  const nDown = g.shape[v.down];
  const base = g.centre[v.fixed] * strides[v.fixed];
  const acrossIndex = Array.from({ length: w }, (_, p) => {
    const i = voxelAt(p, nAcross, g.spacing[v.across], g.pixelMm);
    return (v.acrossReversed ? nAcross - 1 - i : i) * strides[v.across];
  });
  for (let r = 0; r < h; r++) {
    // The top row shows the high end of the vertical axis (anterior or superior).
    const rowOffset = base + (nDown - 1 - voxelAt(r, nDown, g.spacing[v.down], g.pixelMm)) * strides[v.down];
    for (let c = 0; c < w; c++) canvas.setPixel(x0 + c, y0 + r, panelColour(panel, panel.data[rowOffset + acrossIndex[c]]));
  }
}

function panelColour(panel: RasPanel, value: number): Rgb {
  const t = windowFraction(value, panel.window);
  if (panel.kind === 'error') return errorColour(t);
  const level = Math.round(255 * t);
  return [level, level, level];
}

function drawEdgeLetters(canvas: Canvas, v: ViewGeometry, x: number, y: number, w: number, h: number): void {
  const middleY = y + Math.floor((h - GLYPH_HEIGHT) / 2);
  const middleX = x + Math.floor((w - textWidth('A')) / 2);
  canvas.drawText(v.letters.left, x - GUTTER + 2, middleY, LETTERS);
  canvas.drawText(v.letters.right, x + w + GUTTER - 2 - textWidth('A'), middleY, LETTERS);
  canvas.drawText(v.letters.top, middleX, y - GUTTER + 2, LETTERS);
  canvas.drawText(v.letters.bottom, middleX, y + h + GUTTER - 2 - GLYPH_HEIGHT, LETTERS);
}

/** Under gray columns the window in intensity units; under error columns a colour bar with 0, middle and top values. */
function drawScale(canvas: Canvas, panel: RasPanel, left: number, top: number, width: number): void {
  const { low, high } = panel.window;
  if (panel.kind === 'gray') {
    canvas.drawText(fitText(`window ${formatNumber(low)}..${formatNumber(high)}`, width), left, top, TEXT);
    return;
  }
  for (let c = 0; c < width; c++) {
    canvas.fillRect(left + c, top, 1, COLOUR_BAR_HEIGHT, errorColour(width === 1 ? 1 : c / (width - 1)));
  }
  const labelTop = top + COLOUR_BAR_HEIGHT + 4;
  const ticks = [low, (low + high) / 2, high].map(formatNumber);
  canvas.drawText(ticks[0], left, labelTop, TEXT);
  canvas.drawText(ticks[1], left + Math.floor((width - textWidth(ticks[1])) / 2), labelTop, TEXT);
  canvas.drawText(ticks[2], left + width - textWidth(ticks[2]), labelTop, TEXT);
}

function fitText(text: string, width: number): string {
  const maxChars = Math.floor((width + 1) / GLYPH_ADVANCE);
  return [...text].length <= maxChars ? text : `${[...text].slice(0, Math.max(1, maxChars - 2)).join('')}..`;
}

/** Three significant digits, without trailing zeros: 995.005 → 995, 0.0123456 → 0.0123. */
function formatNumber(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function footerText(spec: WindowSpec, panels: readonly RasPanel[]): string {
  const window =
    spec.kind === 'percentile'
      ? `gray window p${spec.low}-p${spec.high} of nonzero voxels per volume`
      : `gray window ${spec.low}..${spec.high} for every volume`;
  const error = panels.some((p) => p.kind === 'error')
    ? spec.kind === 'percentile'
      ? `; error colour 0 to p${spec.high} of nonzero error`
      : `; error colour ${spec.low}..${spec.high}`
    : '';
  return (
    "Neurological convention: patient's right on image right. Volumes reoriented to RAS+; " +
    `pixels square in mm (nearest voxel); ${window}${error}.`
  );
}

/** Greedy word wrap to a pixel width at font scale 1; a word longer than a line is cut. */
function wrapText(text: string, width: number): string[] {
  const maxChars = Math.max(1, Math.floor((width + 1) / GLYPH_ADVANCE));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= maxChars) line = candidate;
    else {
      if (line !== '') lines.push(line);
      line = word.slice(0, maxChars);
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
