/**
 * The one precondition helper. The message is built lazily so that hot paths pay nothing when the
 * condition holds. Messages name the function, the argument, the bad value and what was expected,
 * e.g. `conv3d: input must be rank 5, got rank 4 (shape [1,8,8,8])`.
 */
export function assert(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new Error(message());
}

/** Formats a shape or small list the way messages quote it: `[1,8,8,8]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
