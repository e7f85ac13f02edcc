/** Slice pictures: panels of volumes and error maps in RAS+, windows, slice points, the PNG canvas. */
export { absoluteError } from './absoluteError.js';
export { DEFAULT_WINDOW, errorWindow, intensityWindow, parseWindowSpec } from './intensityWindow.js';
export type { IntensityWindow, WindowSpec } from './intensityWindow.js';
export { PANEL_KINDS, renderSlices } from './renderSlices.js';
export type { PanelKind, PanelPlacement, RenderSlicesOptions, RenderedSlices, SlicePanel, SliceView } from './renderSlices.js';
export { MID_SLICE, parseSlicePoint, resolveSlicePoint } from './slicePoint.js';
export type { SlicePoint } from './slicePoint.js';
