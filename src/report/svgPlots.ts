/**
 * Static SVG plots for the report: lines against the training step, and strip plots (one point per case) of a score
 * per method. Each plot carries its own mapping in data attributes (the plot area in pixels, the x and y domains and
 * the y scale), and each series its name, so the numbers behind a drawn point can be read back from the SVG alone.
 */
import { escapeHtml } from './html.js';

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  /** Draw markers at the points (sparse series such as validations) rather than only a line. */
  readonly markers?: boolean;
}

export interface LinePlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 64, right: 16, top: 28, bottom: 44 };

/** Nice round ticks covering [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const step0 = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= step0)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const rounded = Number(value.toPrecision(3));
  return abs >= 1e4 || abs < 1e-3 ? rounded.toExponential() : String(rounded);
}

/** Ticks of a log10 axis over [low, high] (in log10 units): 1, 2 and 5 per decade, or decades alone where those crowd. */
function logTicks(low: number, high: number): number[] {
  const all: number[] = [];
  for (let decade = Math.floor(low); decade <= Math.ceil(high); decade++) {
    for (const m of [1, 2, 5]) {
      const t = Math.log10(m) + decade;
      if (t >= low && t <= high) all.push(t);
    }
  }
  const decades = all.filter((t) => Number.isInteger(t));
  return all.length > 8 && decades.length >= 2 ? decades : all;
}

function domainOf(values: readonly number[], pad: number): [number, number] {
  let low = Math.min(...values), high = Math.max(...values);
  if (!(high > low)) {
    const d = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= d;
    high += d;
  }
  const margin = (high - low) * pad;
  return [low - margin, high + margin];
}

/** A line plot of several series against a shared x axis; an empty plot says that it has no data. */
export function linePlot(series: readonly LineSeries[], options: LinePlotOptions): string {
  const width = options.width ?? 560, height = options.height ?? 300;
  const area = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const used = series.filter((s) => s.points.length > 0).map((s) => ({
    ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0)),
  })).filter((s) => s.points.length > 0);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"`;
  if (used.length === 0) {
    return `${head} role="img"><title>${escapeHtml(options.title)}</title><text x="${width / 2}" y="${height / 2}" text-anchor="middle">`
      + `${escapeHtml(options.title)}: no data</text></svg>`;
  }
  const xs = used.flatMap((s) => s.points.map(([x]) => x));
  const ys = used.flatMap((s) => s.points.map(([, y]) => (options.logY ? Math.log10(y) : y)));
  const [x0, x1] = domainOf(xs, 0);
  const [y0, y1] = domainOf(ys, 0.05);
  const px = (x: number) => area.x + ((x - x0) / (x1 - x0)) * area.w;
  const py = (y: number) => area.y + area.h - (((options.logY ? Math.log10(y) : y) - y0) / (y1 - y0)) * area.h;
  const f = (v: number) => v.toFixed(2);

  const parts: string[] = [];
  parts.push(`${head} role="img" data-area="${area.x} ${area.y} ${area.w} ${area.h}" data-x-domain="${x0} ${x1}" `
    + `data-y-domain="${y0} ${y1}" data-y-scale="${options.logY ? 'log10' : 'linear'}">`);
  parts.push(`<title>${escapeHtml(options.title)}</title>`);
  parts.push(`<text class="plot-title" x="${area.x}" y="18">${escapeHtml(options.title)}</text>`);
  parts.push(`<rect class="plot-area" x="${area.x}" y="${area.y}" width="${area.w}" height="${area.h}"/>`);
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line class="grid" x1="${f(px(t))}" x2="${f(px(t))}" y1="${area.y}" y2="${area.y + area.h}"/>`
      + `<text class="tick" x="${f(px(t))}" y="${area.y + area.h + 14}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  const yTicks = options.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  for (const t of yTicks) {
    const value = options.logY ? 10 ** t : t;
    parts.push(`<line class="grid" x1="${area.x}" x2="${area.x + area.w}" y1="${f(py(value))}" y2="${f(py(value))}"/>`
      + `<text class="tick" x="${area.x - 6}" y="${f(py(value) + 4)}" text-anchor="end">${formatTick(value)}</text>`);
  }
  parts.push(`<text class="axis-label" x="${area.x + area.w / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${area.y + area.h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`);
  used.forEach((s, index) => {
    const points = s.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ');
    parts.push(`<polyline class="series" data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.colour}" stroke-width="1.5" points="${points}"/>`);
    if (s.markers) {
      for (const [x, y] of s.points) parts.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="2.5" fill="${s.colour}"/>`);
    }
    const ly = area.y + 12 + index * 14;
    parts.push(`<line x1="${area.x + area.w - 120}" x2="${area.x + area.w - 104}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"/>`
      + `<text class="legend" x="${area.x + area.w - 100}" y="${ly}">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface StripGroup {
  readonly label: string;
  /** One value per case, with the case's name for the point's tooltip. */
  readonly points: readonly { readonly caseId: string; readonly value: number }[];
}

/**
 * Points per group (method) side by side, one per case, with the group mean as a bar; the same case's points are
 * joined across groups by a faint line, so a reader sees per case whether the model beats the baseline.
 */
export function stripPlot(groups: readonly StripGroup[], options: { title: string; yLabel: string; width?: number; height?: number }): string {
  // Each column as wide as its longest label needs at 11 px (about 6.5 px a character), and at least 140 px.
  const slotWidth = Math.max(140, ...groups.map((g) => g.label.length * 6.5 + 16));
  const width = options.width ?? Math.max(320, MARGIN.left + MARGIN.right + groups.length * slotWidth), height = options.height ?? 300;
  const area = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const values = groups.flatMap((g) => g.points.map((p) => p.value)).filter(Number.isFinite);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"`;
  if (values.length === 0) {
    return `${head} role="img"><title>${escapeHtml(options.title)}</title><text x="${width / 2}" y="${height / 2}" text-anchor="middle">no scores</text></svg>`;
  }
  const [y0, y1] = domainOf(values, 0.08);
  const slot = area.w / groups.length;
  const cx = (g: number) => area.x + slot * (g + 0.5);
  const py = (y: number) => area.y + area.h - ((y - y0) / (y1 - y0)) * area.h;
  const f = (v: number) => v.toFixed(2);
  const parts = [`${head} role="img" data-area="${area.x} ${area.y} ${area.w} ${area.h}" data-y-domain="${y0} ${y1}" data-y-scale="linear">`,
    `<title>${escapeHtml(options.title)}</title>`, `<text class="plot-title" x="${area.x}" y="18">${escapeHtml(options.title)}</text>`,
    `<rect class="plot-area" x="${area.x}" y="${area.y}" width="${area.w}" height="${area.h}"/>`];
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line class="grid" x1="${area.x}" x2="${area.x + area.w}" y1="${f(py(t))}" y2="${f(py(t))}"/>`
      + `<text class="tick" x="${area.x - 6}" y="${f(py(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  parts.push(`<text class="axis-label" transform="translate(14 ${area.y + area.h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`);
  // Deterministic spread within a slot, so overlapping cases stay visible and the picture never changes between builds.
  const offsetOf = (index: number, count: number) => (count <= 1 ? 0 : ((index / (count - 1)) - 0.5) * slot * 0.4);
  const cases = [...new Set(groups.flatMap((g) => g.points.map((p) => p.caseId)))].sort();
  for (const caseId of cases) {
    const line = groups.map((g, gi) => {
      const p = g.points.find((q) => q.caseId === caseId);
      return p && Number.isFinite(p.value) ? `${f(cx(gi) + offsetOf(cases.indexOf(caseId), cases.length))},${f(py(p.value))}` : undefined;
    }).filter((x) => x !== undefined);
    if (line.length > 1) parts.push(`<polyline class="pairing" fill="none" points="${line.join(' ')}"/>`);
  }
  groups.forEach((g, gi) => {
    const finite = g.points.filter((p) => Number.isFinite(p.value));
    for (const p of finite) {
      parts.push(`<circle class="case-point" data-case="${escapeHtml(p.caseId)}" data-value="${p.value}" cx="${f(cx(gi) + offsetOf(cases.indexOf(p.caseId), cases.length))}" `
        + `cy="${f(py(p.value))}" r="3.5"><title>${escapeHtml(`${p.caseId}: ${p.value.toFixed(3)}`)}</title></circle>`);
    }
    if (finite.length > 0) {
      const mean = finite.reduce((s, p) => s + p.value, 0) / finite.length;
      parts.push(`<line class="mean" x1="${f(cx(gi) - slot * 0.3)}" x2="${f(cx(gi) + slot * 0.3)}" y1="${f(py(mean))}" y2="${f(py(mean))}"/>`);
    }
    parts.push(`<text class="tick" x="${f(cx(gi))}" y="${area.y + area.h + 16}" text-anchor="middle">${escapeHtml(g.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
