/**
 * Grad mode. libtorch keeps it thread-local; mrsynth does all tensor work on the main JS thread, so a
 * simple save/restore around `fn` is exact. Async functions are refused because the mode would leak into
 * whatever runs while they wait.
 */
import { native } from './native.js';

function withGradMode<T>(enabled: boolean, name: string, fn: () => T): T {
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error(`${name}: cannot run an async function (grad mode is per thread, not per task)`);
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` without recording autograd history (inference, optimiser updates, EMA). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, 'noGrad', fn);
}

/** Runs `fn` with autograd on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, 'enableGrad', fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
