/**
 * Writes a report folder: index.html (every score, sortable and filterable; the summary with bootstrap intervals;
 * per-target strip plots), one page per case and target with linked NiiVue views, one page per training run with its
 * curves, and the assets they share. The folder is built beside its destination and moved into place at the end, so
 * a report is either whole or absent; it opens by double-click (file://) and through `mrsynth serve`.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makeFolder } from '../io/index.js';
import { summariseScores, type CaseScore, type MetricName, type Summary } from '../metrics/index.js';
import { errorWindow, intensityWindow, type IntensityWindow } from '../viz/index.js';
import { packageRoot } from '../util/index.js';
import { displayCopy } from './displayVolume.js';
import { escapeHtml, jsonForScript, renderPage } from './html.js';
import { casePagePath, runPagePath, safeName, type ReportCase, type ReportContent, type ReportRun } from './reportContent.js';
import { linePlot, stripPlot } from './svgPlots.js';

/** Metrics the report tables show, in order, with how many decimals. */
const SHOWN: readonly { metric: MetricName; digits: number }[] = [
  { metric: 'psnr', digits: 2 }, { metric: 'ssim', digits: 4 }, { metric: 'nmse', digits: 4 },
];

const NIIVUE_UMD = ['@niivue', 'niivue', 'dist', 'niivue.umd.js'];
const OWN_ASSETS = ['reportViewer.js', 'casePage.js', 'indexPage.js', 'report.css', 'favicon.svg', 'NIIVUE-LICENSE.txt'];

export interface WrittenReport {
  readonly folder: string;
  readonly index: string;
  readonly casePages: readonly string[];
  readonly runPages: readonly string[];
}

/** Writes `content` to `out` (replacing an existing report there only with `force`). */
export async function writeReport(content: ReportContent, out: string, options: { force?: boolean } = {}): Promise<WrittenReport> {
  const folder = resolve(out);
  const existing = await fs.stat(folder).catch(() => undefined);
  if (existing !== undefined && !options.force) throw new Error(`report: ${folder} exists; pass --force to replace it, or choose another --out`);
  if (existing !== undefined && !existing.isDirectory()) throw new Error(`report: ${folder} exists and is not a folder`);
  // --force replaces a report, never another folder given as --out by mistake (a data set, a home folder).
  if (existing !== undefined && !(await isReportOrEmpty(folder))) {
    throw new Error(`report: ${folder} exists and is not an mrsynth report (it has no ${REPORT_MARKER}); not replacing it, even with --force`);
  }
  const staging = `${folder}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await makeFolder(join(staging, 'assets'));
  try {
    await copyAssets(staging);
    const casePages: string[] = [];
    for (const c of content.cases) casePages.push(await writeCasePage(staging, c, content));
    const runPages: string[] = [];
    for (const run of content.runs) runPages.push(await writeRunPage(staging, run));
    await fs.writeFile(join(staging, 'index.html'), renderIndex(content));
    await fs.writeFile(join(staging, REPORT_MARKER), `${JSON.stringify({ format: 'mrsynth-report', formatVersion: 1, title: content.title })}\n`);
    if (existing !== undefined) await fs.rm(folder, { recursive: true, force: true });
    await fs.rename(staging, folder);
    return { folder, index: join(folder, 'index.html'), casePages: casePages.map((p) => join(folder, p)), runPages: runPages.map((p) => join(folder, p)) };
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The file that marks a folder as a report this module wrote (and so one --force may replace). */
const REPORT_MARKER = 'mrsynth-report.json';

async function isReportOrEmpty(folder: string): Promise<boolean> {
  const entries = await fs.readdir(folder);
  return entries.length === 0 || entries.includes(REPORT_MARKER);
}

async function copyAssets(staging: string): Promise<void> {
  const own = join(packageRoot(), 'assets', 'report');
  for (const name of OWN_ASSETS) await fs.copyFile(join(own, name), join(staging, 'assets', name));
  await fs.copyFile(await findNiivue(), join(staging, 'assets', 'niivue.umd.js'));
}

/** NiiVue's UMD build, found as Node finds packages: in node_modules folders from mrsynth's root upwards. */
async function findNiivue(): Promise<string> {
  for (let dir = packageRoot(); ; dir = dirname(dir)) {
    const path = join(dir, 'node_modules', ...NIIVUE_UMD);
    if (await fs.stat(path).then((s) => s.isFile(), () => false)) return path;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`report: cannot find ${NIIVUE_UMD.join('/')} in any node_modules above ${packageRoot()}; run npm install`);
}

// ---- index ----

function renderIndex(content: ReportContent): string {
  const rows = content.methods.flatMap((m) => m.rows.map((row) => ({ method: m.label, group: m.group, row })));
  const viewable = new Set(content.cases.map((c) => casePagePath(c)));
  const body: string[] = [];
  body.push(`<p>${content.methods.length} evaluation(s), ${new Set(rows.map((r) => r.row.caseId)).size} case(s), `
    + `${content.cases.length} case page(s), ${content.runs.length} training run(s).</p>`);

  body.push('<section><h2>Summary</h2>');
  body.push(`<p>Mean ± standard deviation (ddof 1) over cases, and the 95% percentile-bootstrap interval of the mean `
    + `(${content.bootstrap.resamples} resamples, seed ${content.bootstrap.seed}).</p>`);
  body.push('<table class="summary"><thead><tr><th>method</th><th>target</th><th>source</th><th>region</th><th>n</th>'
    + `${SHOWN.map((s) => `<th>${s.metric.toUpperCase()}</th>`).join('')}</tr></thead><tbody>`);
  for (const method of content.methods) {
    for (const s of summariseScores(withoutPerCaseSources(method.rows), content.bootstrap)) {
      body.push(`<tr><td>${escapeHtml(method.label)}</td><td>${s.target}</td><td>${s.source ?? ''}</td><td>${s.region}</td>`
        + `<td>${s.metrics.psnr.n}</td>${SHOWN.map(({ metric, digits }) => `<td>${formatSummary(s.metrics[metric], digits)}</td>`).join('')}</tr>`);
    }
  }
  body.push('</tbody></table></section>');

  body.push('<section><h2>Distributions</h2><div class="plots">');
  const targets = [...new Set(rows.map((r) => r.row.target))];
  for (const target of targets) {
    const regions = [...new Set(rows.filter((r) => r.row.target === target).map((r) => r.row.region))];
    const region = regions.includes('brain') ? 'brain' : regions[0];
    body.push(stripPlot(content.methods.flatMap((m) => {
      const shown = withoutPerCaseSources(m.rows).filter((r) => r.target === target && r.region === region);
      const sources = [...new Set(shown.map((r) => r.source))];
      return sources.map((source) => ({
        label: sources.length > 1 ? `${m.label} ← ${source ?? 'all'}` : m.label,
        points: shown.filter((r) => r.source === source).map((r) => ({ caseId: r.caseId, value: r.scores.psnr })),
      }));
    }), { title: `${target}: PSNR per case (${region})`, yLabel: 'PSNR (dB)' }));
  }
  body.push('</div></section>');

  body.push('<section><h2>Scores per case</h2>');
  const options = (name: string, values: readonly string[]) =>
    `<label>${name} <select data-filter="${name}"><option value="">all</option>${values.map((v) => `<option>${escapeHtml(v)}</option>`).join('')}</select></label>`;
  body.push(`<div class="filters"><label>contains <input id="filter-text" type="search" placeholder="case, method…"></label> `
    + `${options('method', content.methods.map((m) => m.label))} ${options('target', targets)} `
    + `${options('region', [...new Set(rows.map((r) => r.row.region))])} <span id="row-count"></span></div>`);
  body.push('<table id="scores" class="scores sortable"><thead><tr>'
    + ['case', 'target', 'source', 'method', 'region', ...SHOWN.map((s) => s.metric.toUpperCase())]
      .map((h, i) => `<th data-column="${i}" data-kind="${i >= 5 ? 'number' : 'text'}" tabindex="0">${h}</th>`).join('')
    + '</tr></thead><tbody>');
  for (const { method, group, row } of rows) {
    // A baseline's row names its source; it is shown on the synthesis page of its case and target where there is one.
    const page = [casePagePath({ ...row, group }), casePagePath({ caseId: row.caseId, target: row.target, group })].find((p) => viewable.has(p));
    const caseCell = page !== undefined ? `<a href="${escapeHtml(page)}">${escapeHtml(row.caseId)}</a>` : escapeHtml(row.caseId);
    body.push(`<tr data-method="${escapeHtml(method)}" data-target="${row.target}" data-region="${row.region}"><td>${caseCell}</td>`
      + `<td>${row.target}</td><td>${row.source ?? ''}</td><td>${escapeHtml(method)}</td><td>${row.region}</td>`
      + `${SHOWN.map(({ metric, digits }) => numberCell(row.scores[metric], digits)).join('')}</tr>`);
  }
  body.push('</tbody></table></section>');

  body.push('<section><h2>Evaluations</h2><ul>');
  for (const m of content.methods) {
    const producers = [...new Set(m.rows.map((r) => r.files?.producedBy ?? null))].map((p) => p ?? 'unrecorded');
    body.push(`<li><b>${escapeHtml(m.label)}</b>: ${escapeHtml(m.source)}; made by ${producers.map(escapeHtml).join(', ')}`
      + `<details><summary>settings</summary><pre>${escapeHtml(JSON.stringify(m.settings, null, 2))}</pre></details></li>`);
  }
  body.push('</ul></section>');
  if (content.runs.length > 0) {
    body.push(`<section><h2>Training runs</h2><ul>${content.runs.map((r) =>
      `<li><a href="${escapeHtml(runPagePath(r))}">${escapeHtml(r.name)}</a> (${escapeHtml(r.folder)})</li>`).join('')}</ul></section>`);
  }
  return renderPage({ title: content.title, root: '', body: body.join('\n'), scripts: ['assets/indexPage.js'], isIndex: true });
}

/**
 * The rows with their sources dropped where each case has one: a baseline picks its best source per case, and its
 * summary and plot are of the method, not of each source it happened to pick. A method that translates every case from
 * several sources (a translation matrix) keeps them: each source is a task of its own.
 */
function withoutPerCaseSources(rows: readonly CaseScore[]): readonly CaseScore[] {
  return severalSourcesPerCase(rows) ? rows : rows.map(({ source: _dropped, ...row }) => row);
}

/** Whether some case and target was predicted from more than one source (a translation matrix). */
export function severalSourcesPerCase(rows: readonly CaseScore[]): boolean {
  const sources = new Map<string, Set<string | undefined>>();
  for (const r of rows) {
    const key = `${r.caseId}\u0000${r.target}`;
    sources.set(key, (sources.get(key) ?? new Set()).add(r.source));
  }
  return [...sources.values()].some((s) => s.size > 1);
}

function numberCell(value: number, digits: number): string {
  return `<td data-value="${Number.isFinite(value) ? value : ''}">${Number.isFinite(value) ? value.toFixed(digits) : String(value)}</td>`;
}

function formatSummary(s: Summary, digits: number): string {
  if (s.n === 0) return '—';
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
  return `${f(s.mean)} ± ${f(s.std)}<br><small>[${f(s.low)}, ${f(s.high)}]</small>`;
}

// ---- case pages ----

async function writeCasePage(staging: string, c: ReportCase, content: ReportContent): Promise<string> {
  const page = casePagePath(c);
  const name = basename(page, '.html');
  await makeFolder(join(staging, 'data', name));
  await makeFolder(join(staging, 'files', name));
  await makeFolder(join(staging, 'cases'));
  const reference = c.volumes.find((v) => v.role === 'reference');
  const referenceWindow = reference === undefined ? undefined : intensityWindow(reference.volume.data);
  const viewers = [];
  const scripts: string[] = ['assets/niivue.umd.js', 'assets/reportViewer.js'];
  const figures: string[] = [];
  for (const [index, v] of c.volumes.entries()) {
    const key = `v${index}`;
    const copy = displayCopy(key, v.volume, v.header);
    await fs.writeFile(join(staging, 'data', name, `${key}.js`), copy.script);
    scripts.push(`data/${name}/${key}.js`);
    const own = v.window === 'error' ? errorWindow(v.volume.data) : intensityWindow(v.volume.data);
    const shown: IntensityWindow = v.window === 'reference' && referenceWindow !== undefined ? referenceWindow : own;
    const full = v.file === undefined ? undefined : await copyFull(staging, `files/${name}/${key}-${safeName(basename(v.file))}`, v.file);
    viewers.push({ key, label: v.label, role: v.role, window: v.window, calMin: shown.low, calMax: shown.high, ownMin: own.low, ownMax: own.high,
      colormap: v.window === 'error' ? 'hot' : 'gray' });
    figures.push(`<figure class="viewer"><figcaption>${escapeHtml(v.label)} <span class="window" id="window-${key}">`
      + `${windowText(v.window, shown)}</span></figcaption><div class="canvas-box"><canvas id="canvas-${key}"></canvas></div>`
      + `<div class="files">shown: int16 display copy (${(copy.bytes / 1024).toFixed(0)} KiB gzip, step ${copy.step.toPrecision(3)})`
      + `${full === undefined ? '; derived here, no file' : ` · <a href="../${escapeHtml(full)}" download>full file</a>`}</div></figure>`);
  }
  let label: { key: string } | null = null;
  if (c.label !== undefined) {
    const copy = displayCopy('label', c.label.volume, c.label.header);
    await fs.writeFile(join(staging, 'data', name, 'label.js'), copy.script);
    scripts.push(`data/${name}/label.js`);
    label = { key: 'label' };
  }
  scripts.push('assets/casePage.js');
  const scores = content.methods.filter((m) => m.group === c.group)
    .flatMap((m) => m.rows.filter((r) => r.caseId === c.caseId && r.target === c.target && (c.source === undefined || r.source === c.source))
    .map((r) => ({ method: m.label, row: r })));
  const body = [
    `<div class="controls"><span>layout</span>${['axial', 'coronal', 'sagittal', 'multiplanar'].map((l) =>
      `<button type="button" data-layout="${l}"${l === 'axial' ? ' aria-pressed="true"' : ''}>${l}</button>`).join('')}`
    + `<label><input type="checkbox" id="own-windows"> window each volume on its own</label>`
    + (label === null ? '' : '<label><input type="checkbox" id="show-label"> tumour label</label>')
    + '<span id="location"></span></div>',
    '<p class="hint">Click or scroll in any view: every view moves to the same world position (mm). Prediction, baselines and reference share '
      + 'the reference\'s intensity window unless each is windowed on its own.</p>',
    `<div class="viewers">${figures.join('\n')}</div>`,
    '<section><h2>Scores</h2><table class="scores"><thead><tr><th>method</th><th>region</th>'
      + `${SHOWN.map((s) => `<th>${s.metric.toUpperCase()}</th>`).join('')}<th>prediction file (SHA-256)</th><th>made by</th></tr></thead><tbody>`
      + scores.map(({ method, row }) => `<tr><td>${escapeHtml(method)}</td><td>${row.region}</td>`
        + `${SHOWN.map(({ metric, digits }) => numberCell(row.scores[metric], digits)).join('')}`
        + `<td>${row.files ? `${escapeHtml(row.files.pred.path)} <small>(${row.files.pred.sha256.slice(0, 12)}…)</small>` : 'unrecorded'}</td>`
        + `<td>${escapeHtml(row.files?.producedBy ?? 'unrecorded')}</td></tr>`).join('\n')
      + '</tbody></table></section>',
    `<script type="application/json" id="case-config">${jsonForScript({ viewers, label })}</script>`,
  ];
  const title = `${c.caseId}: ${c.target}${c.source ? ` from ${c.source}` : ''}`;
  await fs.writeFile(join(staging, page), renderPage({ title, root: '../', body: body.join('\n'), scripts }));
  return page;
}

function windowText(role: string, w: IntensityWindow): string {
  const f = (x: number) => x.toPrecision(3);
  return role === 'reference' ? `(reference window ${f(w.low)}–${f(w.high)})` : role === 'error' ? `(0–${f(w.high)})` : `(own window ${f(w.low)}–${f(w.high)})`;
}

/**
 * A copy of the full-precision file inside the report, at `relative` (a new name; a copy-on-write clone where the file
 * system offers one). Never a hard link: a tool that rewrites the report's file in place would rewrite the user's too.
 */
async function copyFull(staging: string, relative: string, file: string): Promise<string> {
  await fs.copyFile(file, join(staging, relative), fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
  return relative;
}

// ---- run pages ----

async function writeRunPage(staging: string, run: ReportRun): Promise<string> {
  const page = runPagePath(run);
  await makeFolder(join(staging, 'runs'));
  const validation = run.validation;
  const plots = [
    linePlot([{ name: 'training loss', colour: '#1f77b4', points: run.train.map((e) => [e.step, e.loss]) }],
      { title: 'Training loss', xLabel: 'step', yLabel: 'loss', logY: true }),
    linePlot([
      { name: 'validation loss', colour: '#d62728', markers: true, points: validation.map((e) => [e.step, e.loss]) },
      { name: 'validation loss (EMA)', colour: '#ff7f0e', markers: true, points: validation.filter((e) => e.lossEma !== undefined).map((e) => [e.step, e.lossEma!]) },
      { name: 'input-blind baseline', colour: '#7f7f7f', points: validation.filter((e) => e.baselineLoss !== undefined).map((e) => [e.step, e.baselineLoss!]) },
    ], { title: 'Validation loss', xLabel: 'step', yLabel: 'loss', logY: true }),
    linePlot([{ name: 'learning rate', colour: '#2ca02c', points: run.train.map((e) => [e.step, e.lr]) }],
      { title: 'Learning rate', xLabel: 'step', yLabel: 'learning rate' }),
    linePlot([{ name: 'sampled case PSNR', colour: '#9467bd', markers: true, points: validation.filter((e) => e.psnr !== undefined).map((e) => [e.step, e.psnr!]) }],
      { title: 'Sampled validation case: PSNR (brain)', xLabel: 'step', yLabel: 'PSNR (dB)' }),
    linePlot([{ name: 'sampled case SSIM', colour: '#8c564b', markers: true, points: validation.filter((e) => e.ssim !== undefined).map((e) => [e.step, e.ssim!]) }],
      { title: 'Sampled validation case: SSIM (brain)', xLabel: 'step', yLabel: 'SSIM' }),
  ];
  const last = run.train.at(-1);
  const body = [
    `<p>Run folder ${escapeHtml(run.folder)}; ${run.train.length} training step(s) logged${last ? `, the last at step ${last.step}` : ''}, `
      + `${validation.length} validation(s).</p>`,
    `<div class="plots">${plots.join('\n')}</div>`,
    `<section><h2>Configuration and provenance (run.json)</h2><pre>${escapeHtml(JSON.stringify(run.config, null, 2))}</pre></section>`,
  ];
  await fs.writeFile(join(staging, page), renderPage({ title: `Run ${run.name}`, root: '../', body: body.join('\n') }));
  return page;
}
