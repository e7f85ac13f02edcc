/**
 * Syntheses written for cases with trained runs: completion of missing contrasts and translation of one contrast into
 * others; planned per case, sampled, written on the case's grid with sidecars.
 */
export { completeCases } from './completeCases.js';
export { translateCases } from './translateCases.js';
export { reconstructCases } from './reconstructCases.js';
export type { ReconstructCasesOptions, ReconstructionOutcome } from './reconstructCases.js';
export type { PlannedTranslation, TranslateCasesOptions, TranslationEvent, TranslationOutcome } from './translateCases.js';
export type { CaseNotice, CaseOutcome, CompleteCasesOptions, CompletionEvent } from './completeCases.js';
export { planCompletion } from './completionPlan.js';
export type { CompletionPlan, ConditionSource, PlanOptions, PlannedTarget } from './completionPlan.js';
export { loadRun } from './loadedRun.js';
export type { LoadedRun } from './loadedRun.js';
export { PLACEHOLDERS, parsePlaceholder, placeholderVolume } from './placeholder.js';
export type { Placeholder } from './placeholder.js';
export { caseSeed } from './caseSeed.js';
export { isSyntheticHeader, syntheticDescription, syntheticFiles } from './syntheticFiles.js';
export type { SyntheticFiles } from './syntheticFiles.js';
export { SIDECAR_FORMAT, SIDECAR_FORMAT_VERSION } from './synthesisSidecar.js';
export type { SidecarCondition, SidecarInput, SynthesisSidecar } from './synthesisSidecar.js';
