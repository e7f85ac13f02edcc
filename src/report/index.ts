/** The browser report: pages of scores, linked 3D views (NiiVue) of each case, and training curves. */
export { severalSourcesPerCase, writeReport } from './writeReport.js';
export type { WrittenReport } from './writeReport.js';
export { casePagePath, runPagePath, safeName } from './reportContent.js';
export type { ReportCase, ReportContent, ReportMethod, ReportRun, ReportVolume, WindowRole } from './reportContent.js';
export { displayCopy } from './displayVolume.js';
export { BANNER } from './html.js';
export { linePlot, niceTicks, stripPlot } from './svgPlots.js';
