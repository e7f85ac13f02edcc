import { canonicalOrder, type Contrast } from '../data/index.js';
import type { Region } from './masks.js';
import type { ScoreSummary } from './summariseScores.js';

/**
 * The source × target table ALDM reports, as Markdown: one row per source contrast, one column per target,
 * each cell "PSNR / NMSE / SSIM" (means over the cases) of translations from that source to that target in
 * `region`. Cells with no translation (the diagonal, pairs not run) show "–". Syntheses without a single source
 * have no place in it and are skipped.
 */
export function renderScoreMatrix(summaries: readonly ScoreSummary[], region: Region): string {
  const cells = new Map<string, ScoreSummary>();
  for (const s of summaries) if (s.source !== undefined && s.region === region) cells.set(`${s.source}>${s.target}`, s);
  // Square, over every contrast seen on either side, so the diagonal sits where readers of ALDM expect it.
  const contrasts = canonicalOrder([...cells.values()].flatMap((s) => [s.source as Contrast, s.target]));
  const [sources, targets] = [contrasts, contrasts];
  const lines = [
    `Region: ${region}. Cells: PSNR (dB) / NMSE / SSIM, means over cases. Rows: source; columns: target.`,
    '',
    `| source \\ target | ${targets.join(' | ')} |`,
    `|---|${targets.map(() => '---').join('|')}|`,
  ];
  for (const source of sources) {
    const row = targets.map((target) => {
      const s = cells.get(`${source}>${target}`);
      if (s === undefined) return '–';
      const { psnr, nmse, ssim } = s.metrics;
      return `${psnr.mean.toFixed(2)} / ${nmse.mean.toFixed(4)} / ${ssim.mean.toFixed(4)}`;
    });
    lines.push(`| ${source} | ${row.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
