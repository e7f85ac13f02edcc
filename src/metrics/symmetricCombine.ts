import { assert } from '../util/index.js';

/**
 * The inner loop of the separable SSIM filters, in WebAssembly SIMD: for j < length,
 *
 *   dst[j] = w₅·src[c + j] + w₀·(src[a₀ + j] + src[b₀ + j]) + … + w₄·(src[a₄ + j] + src[b₄ + j])
 *
 * two float64 lanes at a time. It is the same expression, evaluated in the same order with the same IEEE
 * operations, as a scalar loop, so results are bit-identical to it; the plain JavaScript loop spent most of the
 * SSIM time on bounds checks and one lane. The module is a few hundred bytes, assembled below from the opcode
 * table of the WebAssembly core and SIMD specifications rather than shipped as a binary.
 */
export interface CombineWorkspace {
  /** The workspace memory as float64s; callers place their buffers in it by element offset. */
  readonly f64: Float64Array;
  /**
   * Runs the loop above over element offsets into {@link f64}. `length` is rounded up to even: the element
   * after an odd-length row is written too, so rows must be laid out with an even stride.
   */
  combine(dst: number, centre: number, lower: Int32Array, upper: Int32Array, length: number): void;
}

/** Pairs of taps combined per call (radius 5: the 11-tap Gaussian; shorter windows pad with zero weights). */
export const COMBINE_PAIRS = 5;

/**
 * A workspace of at least `elements` float64s whose loop uses `weights` (entries 0…4 for the pairs, 5 for the
 * centre). One workspace per SSIM map: instantiating the compiled module is cheap.
 */
export function combineWorkspace(elements: number, weights: Float64Array): CombineWorkspace {
  assert(weights.length === COMBINE_PAIRS + 1, () => `combineWorkspace: weights must have ${COMBINE_PAIRS + 1} entries, got ${weights.length}`);
  const bytes = (elements + 2) * 8;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const instance = new WebAssembly.Instance(compiled(), { env: { memory } });
  const run = instance.exports.combine as (...args: number[]) => void;
  const [w0, w1, w2, w3, w4, wc] = weights;
  return {
    f64: new Float64Array(memory.buffer),
    combine(dst, centre, lower, upper, length) {
      run(dst * 8, centre * 8, lower[0] * 8, lower[1] * 8, lower[2] * 8, lower[3] * 8, lower[4] * 8,
        upper[0] * 8, upper[1] * 8, upper[2] * 8, upper[3] * 8, upper[4] * 8, length * 8, w0, w1, w2, w3, w4, wc);
    },
  };
}

let module: WebAssembly.Module | undefined;

function compiled(): WebAssembly.Module {
  module ??= new WebAssembly.Module(assemble());
  return module;
}

// Opcodes (WebAssembly core 2.0 and fixed-width SIMD).
const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_GE_U = 0x4f;
const SIMD = 0xfd, V128_LOAD = 0x00, V128_STORE = 0x0b, F64X2_SPLAT = 0x14, F64X2_ADD = 0xf0, F64X2_MUL = 0xf2;
/** memarg of every load/store: alignment 2³ (float64 elements), offset 0. */
const MEMARG = [3, 0];

// Parameters: dst, centre, lower[5], upper[5], end (byte offsets), then w0…w4, wc. Locals: j, then the splats.
const P_DST = 0, P_CENTRE = 1, P_LOWER = 2, P_UPPER = 7, P_END = 12, P_WEIGHT = 13;
const L_J = 19, L_SPLAT = 20;

function assemble(): Uint8Array<ArrayBuffer> {
  const simd = (op: number) => [SIMD, ...uleb(op)];
  const load = (base: number) => [LOCAL_GET, base, LOCAL_GET, L_J, I32_ADD, ...simd(V128_LOAD), ...MEMARG];
  const body: number[] = [];
  for (let w = 0; w <= COMBINE_PAIRS; w++) body.push(LOCAL_GET, P_WEIGHT + w, ...simd(F64X2_SPLAT), LOCAL_SET, L_SPLAT + w);
  body.push(BLOCK, VOID, LOOP, VOID,
    LOCAL_GET, L_J, LOCAL_GET, P_END, I32_GE_U, BR_IF, 1,
    LOCAL_GET, P_DST, LOCAL_GET, L_J, I32_ADD,
    ...load(P_CENTRE), LOCAL_GET, L_SPLAT + COMBINE_PAIRS, ...simd(F64X2_MUL));
  for (let t = 0; t < COMBINE_PAIRS; t++) {
    body.push(...load(P_LOWER + t), ...load(P_UPPER + t), ...simd(F64X2_ADD), LOCAL_GET, L_SPLAT + t, ...simd(F64X2_MUL), ...simd(F64X2_ADD));
  }
  body.push(...simd(V128_STORE), ...MEMARG,
    LOCAL_GET, L_J, I32_CONST, 16, I32_ADD, LOCAL_SET, L_J, BR, 0, END, END, END);
  const locals = [2, 1, I32, COMBINE_PAIRS + 1, V128];
  const code = [...locals, ...body];

  const params = [...new Array(P_WEIGHT).fill(I32), ...new Array(COMBINE_PAIRS + 1).fill(F64)];
  const name = [...new TextEncoder().encode('combine')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, ...uleb(params.length), ...params, 0]),
    ...section(2, [1, 3, ...[...'env'].map((c) => c.charCodeAt(0)), 6, ...[...'memory'].map((c) => c.charCodeAt(0)), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0x00, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

/** Unsigned LEB128, the integer encoding of the binary format. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}
