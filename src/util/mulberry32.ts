/**
 * mulberry32: a tiny seeded 32-bit generator, uniform in [0, 1). For resampling indices and test data, where
 * a libtorch Generator would be overkill (and would tie pure-JS code to the native addon).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
