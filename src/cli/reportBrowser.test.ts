/**
 * The report in a real browser: headless Chromium (Debian's package, driven by playwright-core; scripts/setup.sh
 * --with-test-oracles installs it) opens a report built from a small evaluation of phantoms, from file:// and through
 * `serve`. What each viewer draws is checked against the volume files themselves, read by our own NIfTI reader:
 * the slice under the crosshair, the orientation (the phantom is not left/right symmetric) and the crosshair's place
 * after a click, in a case whose t2 lies on a grid twice as coarse as the rest. Screenshots are kept under
 * test-output/report-browser/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readNifti, writeNifti } from '../io/nifti/index.js';
import { applyAffine, invertAffine, voxelSizes } from '../volume/index.js';
import type { Volume } from '../volume/index.js';
import { serveFolder, type RunningFolderServer } from '../serve/index.js';
import { inProcessCommand } from './commandRunner.testSupport.js';
import { registerPhantomCommand } from './phantom.js';
import { registerBaselineCommand } from './baseline.js';
import { registerEvalCommand } from './eval.js';
import { registerReportCommand } from './report.js';

const CHROMIUM = process.env.MRSYNTH_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: bash scripts/setup.sh --with-test-oracles installs Debian's (or set MRSYNTH_CHROMIUM)`;
const ARTEFACTS = resolve('test-output', 'report-browser');
const PINNED_RUN = resolve('test-fixtures', 'pinned', 'run');

const phantom = inProcessCommand(registerPhantomCommand, 'phantom');
const baseline = inProcessCommand(registerBaselineCommand, 'baseline', 'affine');
const evaluate = inProcessCommand(registerEvalCommand, 'eval');
const report = inProcessCommand(registerReportCommand, 'report');

interface ViewerState {
  label: string;
  role: string;
  key: string;
  /** The axial tile in canvas pixels and the world rectangle it shows (NiiVue's screenSlices). */
  tile: { ltwh: number[]; leftTopMM: number[]; fovMM: number[] };
  crosshairMM: number[];
  calMin: number;
  calMax: number;
  fullFile: string | null;
  /** The viewer's colour look-up table (256 RGBA entries) where it is not gray. */
  lut: number[] | null;
}

/** Where a page failed: console errors, uncaught exceptions and failed requests, collected while it runs. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return problems;
}

async function viewerStates(page: Page): Promise<ViewerState[]> {
  return page.evaluate(() => (window as unknown as { mrsynthViewers: any[] }).mrsynthViewers.map((v) => {
    const slice = v.nv.screenSlices.find((s: { axCorSag: number }) => s.axCorSag === 0);
    const link = document.querySelector(`#canvas-${v.key}`)!.closest('figure')!.querySelector('a[download]');
    return {
      label: v.label, role: v.role, key: v.key,
      tile: { ltwh: [...slice.leftTopWidthHeight], leftTopMM: [...slice.leftTopMM], fovMM: [...slice.fovMM] },
      crosshairMM: [...v.nv.frac2mm(v.nv.scene.crosshairPos)].slice(0, 3),
      calMin: v.nv.volumes[0].cal_min, calMax: v.nv.volumes[0].cal_max,
      fullFile: link ? (link as HTMLAnchorElement).href : null,
      lut: v.colormap === 'gray' ? null : [...v.nv.colormap(v.colormap)],
    };
  }));
}

/** Canvas pixel (column, row) → world mm on the axial tile: x grows to the right, y (anterior) upwards. */
function pixelToMM(state: ViewerState, column: number, row: number, z: number): [number, number, number] {
  const [left, top, width, height] = state.tile.ltwh;
  return [
    state.tile.leftTopMM[0] + ((column + 0.5 - left) / width) * state.tile.fovMM[0],
    state.tile.leftTopMM[1] + ((top + height - row - 0.5) / height) * state.tile.fovMM[1],
    z,
  ];
}

function mmToPixel(state: ViewerState, mm: readonly number[]): [number, number] {
  const [left, top, width, height] = state.tile.ltwh;
  return [left + ((mm[0] - state.tile.leftTopMM[0]) / state.tile.fovMM[0]) * width,
    top + height - ((mm[1] - state.tile.leftTopMM[1]) / state.tile.fovMM[1]) * height];
}

/**
 * The volume at world point mm, interpolated trilinearly as the viewer's texture sampling does (nearest-neighbour
 * sampling would misjudge a coarse grid's slice), or undefined outside the grid's extent.
 */
function sampleAt(volume: Volume, inverse: Volume['affine'], mm: readonly number[]): number | undefined {
  const position = applyAffine(inverse, mm);
  const [nx, ny, nz] = volume.shape;
  const sizes = [nx, ny, nz];
  if (position.some((p, axis) => p < -0.5 || p > sizes[axis] - 0.5)) return undefined;
  const clamped = position.map((p, axis) => Math.min(sizes[axis] - 1, Math.max(0, p)));
  const base = clamped.map((p, axis) => Math.min(Math.floor(p), Math.max(0, sizes[axis] - 2)));
  const t = clamped.map((p, axis) => (sizes[axis] === 1 ? 0 : p - base[axis]));
  let value = 0;
  for (let corner = 0; corner < 8; corner++) {
    const offset = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
    const index = offset.map((o, axis) => Math.min(base[axis] + o, sizes[axis] - 1));
    const weight = offset.reduce((w, o, axis) => w * (o ? t[axis] : 1 - t[axis]), 1);
    value += weight * volume.data[index[0] + nx * (index[1] + ny * index[2])];
  }
  return value;
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Correlation between the brightness the canvas shows and the windowed voxel values at the same world points on the
 * crosshair's axial slice; `mirror` flips the expected slice left/right (about the tile's centre) instead.
 */
function sliceCorrelation(png: PNG, state: ViewerState, volume: Volume, mirror: boolean): number {
  const inverse = invertAffine(volume.affine);
  const [left, top, width, height] = state.tile.ltwh;
  const [cx, cy] = mmToPixel(state, state.crosshairMM);
  const shown: number[] = [], expected: number[] = [];
  // The error map's colour bar is drawn over the bottom of its tile.
  const bottom = state.role === 'error' ? top + height * 0.8 : top + height;
  for (let row = Math.ceil(top); row < bottom; row += 2) {
    for (let column = Math.ceil(left); column < left + width; column += 2) {
      if (Math.abs(column - cx) < 4 || Math.abs(row - cy) < 4) continue; // the crosshair lines
      const mirrored = mirror ? 2 * left + width - 1 - column : column;
      const value = sampleAt(volume, inverse, pixelToMM(state, mirrored, row, state.crosshairMM[2]));
      if (value === undefined) continue;
      const at = (row * png.width + column) * 4;
      shown.push(png.data[at] + png.data[at + 1] + png.data[at + 2]);
      const fraction = Math.min(1, Math.max(0, (value - state.calMin) / (state.calMax - state.calMin)));
      // A colour map's brightness is the sum of its channels at that level.
      const level = Math.round(fraction * 255) * 4;
      expected.push(state.lut === null ? fraction : state.lut[level] + state.lut[level + 1] + state.lut[level + 2]);
    }
  }
  assert.ok(shown.length > 500, `${state.label}: only ${shown.length} pixels inside the grid`);
  return correlation(shown, expected);
}

describe('the report in headless Chromium', { skip }, () => {
  const base = mkdtempSync(join(tmpdir(), 'mrsynth-report-'));
  const folder = join(base, 'report');
  let browser: Browser;
  let server: RunningFolderServer;
  let filePage: { page: Page; problems: string[] } | undefined;
  const volumes = new Map<string, Volume>();

  before(async () => {
    await fs.mkdir(ARTEFACTS, { recursive: true });
    const data = join(base, 'data');
    assert.equal(await phantom('--out', data, '--cases', '2', '--seed', '11', '--shape', '40,48,36', '--spacing', '4'), 0);
    assert.equal(await baseline('--data', data, '--target', 'flair', '--out', join(base, 'oracle')), 0);
    assert.equal(await baseline('--data', data, '--target', 'flair', '--fit-on', data, '--out', join(base, 'trained')), 0);
    // Then case 0's t2 on a grid twice as coarse (every other voxel, same first voxel): the viewers must agree in world mm.
    // The baselines above need co-registered contrasts; the report shows sources on any grid.
    const t2Path = join(data, 'Phantom11_00000', 'Phantom11_00000_t2.nii.gz');
    const t2 = await readNifti(t2Path);
    const [nx, ny, nz] = t2.volume.shape;
    const coarse = { shape: [nx / 2, ny / 2, nz / 2] as const, data: new Float32Array((nx / 2) * (ny / 2) * (nz / 2)), affine: Float64Array.from(t2.volume.affine) };
    for (let k = 0; k < nz / 2; k++) for (let j = 0; j < ny / 2; j++) for (let i = 0; i < nx / 2; i++) {
      coarse.data[i + (nx / 2) * (j + (ny / 2) * k)] = t2.volume.data[2 * i + nx * (2 * j + ny * 2 * k)];
    }
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) coarse.affine[r * 4 + c] *= 2;
    await writeNifti(t2Path, coarse as unknown as Volume, { overwrite: true });
    for (const name of ['oracle', 'trained']) {
      assert.equal(await evaluate('--pred', join(base, name), '--ref', data, '--data-range', '2000', '--mask', 'brain,tumour',
        '--resamples', '200', '--out', join(base, `eval-${name}`)), 0);
    }
    assert.equal(await report('--eval', join(base, 'eval-oracle'), join(base, 'eval-trained'), '--label', 'oracle affine', 'trained affine',
      '--runs', PINNED_RUN, '--resamples', '200', '--out', folder), 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
    server = await serveFolder(folder);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await fs.rm(base, { recursive: true, force: true });
  });

  /** The full file a viewer links to, as the report copied it (read by our reader, not the browser). */
  async function fileVolume(state: ViewerState): Promise<Volume> {
    const url = new URL(state.fullFile!);
    const path = url.protocol === 'file:' ? decodeURIComponent(url.pathname) : join(folder, decodeURIComponent(url.pathname));
    if (!volumes.has(path)) volumes.set(path, (await readNifti(path)).volume);
    return volumes.get(path)!;
  }

  /** What a viewer should show: its full file, or for the error map |prediction − reference| of the two files beside it. */
  async function volumeOf(state: ViewerState, all: readonly ViewerState[]): Promise<Volume> {
    if (state.fullFile !== null) return fileVolume(state);
    const prediction = await fileVolume(all.find((s) => s.role === 'prediction')!);
    const reference = await fileVolume(all.find((s) => s.role === 'reference')!);
    return { ...prediction, data: prediction.data.map((v, i) => Math.abs(v - reference.data[i])) };
  }

  async function openCase(url: string, name: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 }, deviceScaleFactor: 1 });
    const problems = watch(page);
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
    return { page, problems };
  }

  test('the index opens from file:// and from serve without an error, and sorting by PSNR orders the rows', async () => {
    for (const url of [pathToFileURL(join(folder, 'index.html')).href, server.url]) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
      const problems = watch(page);
      await page.goto(url);
      await page.waitForLoadState('load');
      const psnr = page.locator('#scores th', { hasText: 'PSNR' });
      const column = async () => page.$$eval('#scores tbody tr', (rows) => rows.map((r) => Number((r as HTMLTableRowElement).cells[5].dataset.value)));
      const before = await column();
      assert.equal(before.length, 2 * 2 * 2, 'two cases × two regions × two methods');
      await psnr.click();
      const ascending = await column();
      assert.deepEqual(ascending, [...before].sort((a, b) => a - b));
      await psnr.click();
      assert.deepEqual(await column(), [...before].sort((a, b) => b - a));
      await page.fill('#filter-text', 'trained');
      assert.equal(await page.$$eval('#scores tbody tr:not([hidden])', (rows) => rows.length), 4);
      await page.screenshot({ path: join(ARTEFACTS, url.startsWith('file:') ? 'index-file.png' : 'index-serve.png'), fullPage: true });
      assert.deepEqual(problems, []);
      await page.close();
    }
  });

  test('a case page from file:// and from serve: every viewer shows its volume\'s slice under the crosshair, unmirrored', async () => {
    const page = 'cases/Phantom11_00000_flair.html';
    for (const [url, name] of [[pathToFileURL(join(folder, page)).href, 'case-file'], [`${server.url}${page}`, 'case-serve']] as const) {
      const { page: opened, problems } = await openCase(url, name);
      const states = await viewerStates(opened);
      assert.deepEqual(states.map((s) => s.label), ['t1 (source)', 't1ce (source)', 't2 (source)', 'oracle affine', 'trained affine',
        'flair (reference)', '|oracle affine − reference|']);
      for (const state of states) {
        const png = PNG.sync.read(await opened.locator(`#canvas-${state.key}`).screenshot());
        const volume = await volumeOf(state, states);
        const r = sliceCorrelation(png, state, volume, false);
        const mirrored = sliceCorrelation(png, state, volume, true);
        assert.ok(r >= 0.9, `${name} ${state.label}: r = ${r.toFixed(3)} with its volume's slice`);
        assert.ok(mirrored < r - 0.05, `${name} ${state.label}: the mirrored slice correlates as well (r ${mirrored.toFixed(3)} vs ${r.toFixed(3)})`);
      }
      assert.deepEqual(problems, []);
      // The page opened from file:// stays open for the interaction tests below (a page load costs seconds here).
      if (name === 'case-file') filePage = { page: opened, problems };
      else await opened.close();
    }
  });

  test('a click in the prediction\'s view moves every view\'s crosshair to that world point, within half a voxel of each grid', async () => {
    assert.ok(filePage, 'the case page of the test above');
    const { page, problems } = filePage;
    const states = await viewerStates(page);
    const prediction = states.find((s) => s.label === 'oracle affine')!;
    const [left, top, width, height] = prediction.tile.ltwh;
    const click = [Math.round(left + width * 0.37), Math.round(top + height * 0.62)];
    const clickedMM = pixelToMM(prediction, click[0], click[1], prediction.crosshairMM[2]);
    await page.locator(`#canvas-${prediction.key}`).click({ position: { x: click[0], y: click[1] } });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTEFACTS, 'case-after-click.png'), fullPage: true });
    const moved = await viewerStates(page);
    const t2Volume = await volumeOf(moved.find((s) => s.label === 't2 (source)')!, moved);
    const t1Volume = await volumeOf(moved.find((s) => s.label === 't1 (source)')!, moved);
    assert.notDeepEqual([...t2Volume.shape], [...t1Volume.shape], 'the t2 source lies on another grid');
    for (const state of moved) {
      const spacing = voxelSizes((await volumeOf(state, moved)).affine);
      for (const axis of [0, 1]) {
        assert.ok(Math.abs(state.crosshairMM[axis] - clickedMM[axis]) <= spacing[axis] / 2 + 1e-6,
          `${state.label}: crosshair ${axis === 0 ? 'x' : 'y'} ${state.crosshairMM[axis].toFixed(2)} mm, clicked ${clickedMM[axis].toFixed(2)} mm `
          + `(voxel ${spacing[axis]} mm)`);
      }
      // The drawn crosshair too: the reddest column and row of the canvas lie where the world point maps.
      const png = PNG.sync.read(await page.locator(`#canvas-${state.key}`).screenshot());
      const [ex, ey] = mmToPixel(state, clickedMM);
      const redness = (x: number, y: number) => { const at = (y * png.width + x) * 4; return png.data[at] - (png.data[at + 1] + png.data[at + 2]) / 2; };
      const reddestColumn = argmax(png.width, (x) => sum(png.height, (y) => redness(x, y)));
      const reddestRow = argmax(png.height, (y) => sum(png.width, (x) => redness(x, y)));
      const voxelPixels = (spacing[0] / state.tile.fovMM[0]) * state.tile.ltwh[2];
      if (state.role !== 'error') { // the hot colour map is red itself
        assert.ok(Math.abs(reddestColumn - ex) <= voxelPixels / 2 + 1.5, `${state.label}: crosshair drawn at column ${reddestColumn}, expected ${ex.toFixed(1)}`);
        assert.ok(Math.abs(reddestRow - ey) <= voxelPixels / 2 + 1.5, `${state.label}: crosshair drawn at row ${reddestRow}, expected ${ey.toFixed(1)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('a scroll moves every view\'s slice together; the layout buttons and the tumour label apply to every view', async () => {
    assert.ok(filePage, 'the case page of the tests above');
    const { page, problems } = filePage;
    const before = await viewerStates(page);
    const t1 = before.find((s) => s.label === 't1 (source)')!;
    await page.locator(`#canvas-${t1.key}`).hover({ position: { x: 100, y: 120 } });
    for (let i = 0; i < 3; i++) {
      await page.mouse.wheel(0, -100);
      await page.waitForTimeout(150);
    }
    const after = await viewerStates(page);
    const z = after.find((s) => s.label === 't1 (source)')!.crosshairMM[2];
    assert.notEqual(z, t1.crosshairMM[2], 'the scroll moved the t1 view to another slice');
    for (const state of after) {
      const spacing = voxelSizes((await volumeOf(state, after)).affine)[2];
      assert.ok(Math.abs(state.crosshairMM[2] - z) <= spacing / 2 + 1e-6, `${state.label}: z ${state.crosshairMM[2]} mm, the scrolled view ${z} mm`);
    }
    await page.click('button[data-layout=multiplanar]');
    await page.check('#show-label');
    await page.waitForTimeout(300);
    const views = await page.evaluate(() => (window as unknown as { mrsynthViewers: any[] }).mrsynthViewers.map((v) =>
      ({ tiles: new Set(v.nv.screenSlices.map((t: { axCorSag: number }) => t.axCorSag)).size, label: v.nv.volumes[1]?.opacity })));
    for (const view of views) assert.deepEqual(view, { tiles: 4, label: 0.45 }, 'axial, coronal, sagittal and 3D tiles; the label shown');
    await page.screenshot({ path: join(ARTEFACTS, 'case-multiplanar-label.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('the run page\'s curves are log.jsonl\'s points, and it opens without an error', async () => {
    const html = await fs.readFile(join(folder, 'runs', 'pinned-run.html'), 'utf8');
    const log = (await fs.readFile(join(PINNED_RUN, 'log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const svg = /<svg[^>]*data-area="([^"]+)"[^>]*data-x-domain="([^"]+)"[^>]*data-y-domain="([^"]+)"[^>]*data-y-scale="([^"]+)"[^>]*>[\s\S]*?<polyline[^>]*data-series="training loss"[^>]*points="([^"]+)"/.exec(html);
    assert.ok(svg, 'a training loss plot');
    const [ax, ay, aw, ah] = svg[1].split(' ').map(Number);
    const [x0, x1] = svg[2].split(' ').map(Number);
    const [y0, y1] = svg[3].split(' ').map(Number);
    assert.equal(svg[4], 'log10');
    const points = svg[5].split(' ').map((p) => p.split(',').map(Number));
    const train = log.filter((e) => e.kind === 'train');
    assert.equal(points.length, train.length);
    points.forEach(([px, py], i) => {
      const step = x0 + ((px - ax) / aw) * (x1 - x0);
      const loss = 10 ** (y0 + ((ay + ah - py) / ah) * (y1 - y0));
      assert.ok(Math.abs(step - train[i].step) <= ((x1 - x0) / aw) * 0.01, `point ${i}: step ${step} vs ${train[i].step}`);
      assert.ok(Math.abs(Math.log10(loss) - Math.log10(train[i].loss)) <= ((y1 - y0) / ah) * 0.01, `point ${i}: loss ${loss} vs ${train[i].loss}`);
    });
    const page = await browser.newPage();
    const problems = watch(page);
    await page.goto(pathToFileURL(join(folder, 'runs', 'pinned-run.html')).href);
    await page.screenshot({ path: join(ARTEFACTS, 'run.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });
});

function sum(n: number, f: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(i);
  return s;
}

function argmax(n: number, f: (i: number) => number): number {
  let best = 0, bestValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = f(i);
    if (v > bestValue) { best = i; bestValue = v; }
  }
  return best;
}
