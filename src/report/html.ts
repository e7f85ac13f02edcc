/**
 * The HTML every report page shares: escaping, and the page shell with the "synthetic — not for diagnosis" banner,
 * the favicon and the notice of NiiVue's licence. Pages link their assets relative to themselves (`root` is the way
 * back to the report folder), so the folder opens from file:// as well as from `mrsynth serve`.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export interface PageShell {
  readonly title: string;
  /** From the page to the report folder: '' for the index, '../' for pages one folder down. */
  readonly root: string;
  readonly body: string;
  /** Classic scripts, in order, relative to the report folder. */
  readonly scripts?: readonly string[];
  /** Where the page sits in the report: a link back to the index unless this is the index. */
  readonly isIndex?: boolean;
}

export const BANNER = 'Synthetic images — not for diagnosis. Every synthesised volume here was made by a model, not acquired.';

export function renderPage(page: PageShell): string {
  const scripts = (page.scripts ?? []).map((s) => `<script src="${escapeHtml(page.root + s)}"></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="icon" href="${page.root}assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${page.root}assets/report.css">
</head>
<body>
<div class="banner" role="alert">${escapeHtml(BANNER)}</div>
<header><h1>${escapeHtml(page.title)}</h1>${page.isIndex ? '' : `<nav><a href="${page.root}index.html">← all cases and runs</a></nav>`}</header>
<main>
${page.body}
</main>
<footer>Written by mrsynth. 3D views by <a href="${page.root}assets/NIIVUE-LICENSE.txt">NiiVue</a> (BSD 2-Clause License,
copyright © 2021, Niivue; the licence and its disclaimer are in assets/NIIVUE-LICENSE.txt).</footer>
${scripts}
</body>
</html>
`;
}
