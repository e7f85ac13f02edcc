/**
 * Engine benchmark: per-op overhead of the TypeScript → native path, and a 64→64 3x3x3 conv3d on
 * 1x64x48x48x36 through the TypeScript API versus a plain C++ loop in the same process at the same thread
 * count (the C++ figure is the ceiling the bridge is judged against; target ≥ 95 %).
 *   npm run bench:engine [-- --iterations 10]
 */
import { F, getNumThreads, randn, runtimeInfo, tensor, tidy, zeros } from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { SCALAR_TYPE_CODE, type DType } from '../src/tensor/dtype.js';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1] ?? 0) || 10;
const median = (values: ArrayLike<number>) => {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function opOverhead(): number {
  const calls = 100_000;
  const times = new Float64Array(calls);
  const one = tensor([1]);
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    one.add(one).dispose();
    times[i] = Number(process.hrtime.bigint() - started) / 1e3;
  }
  one.dispose();
  return median(times);
}

const inputShape = [1, 64, 48, 48, 36];
const forwardFlop = 2 * 64 * 64 * 27 * 48 * 48 * 36;

function tsConv(dtype: DType, backward: boolean): number {
  const times: number[] = [];
  tidy(() => {
    const input = randn(inputShape, { dtype });
    const weight = randn([64, 64, 3, 3, 3], { dtype }).mul(0.05).requiresGrad_(backward);
    const bias = zeros([64], { dtype }).requiresGrad_(backward);
    for (let i = 0; i < iterations + 2; i++) {
      const started = process.hrtime.bigint();
      tidy(() => {
        const out = F.conv3d(input, weight, bias, { padding: 1 });
        if (backward) {
          out.sum().backward();
          weight.grad = null;
          bias.grad = null;
        }
      });
      if (i >= 2) times.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  });
  return median(times);
}

function cppConv(dtype: DType, backward: boolean): number {
  const times = native.benchConv3d(inputShape, 64, SCALAR_TYPE_CODE[dtype], backward, iterations + 2);
  return median(times.subarray(2));
}

const info = runtimeInfo();
console.log(`libtorch ${info.torchVersion}, BLAS ${info.blas}, oneDNN ${info.mkldnn ? 'on' : 'off'}`);
console.log(`intra-op threads: ${getNumThreads()}`);
console.log(`per-op overhead (median of 100,000 × add on 1-element float32, incl. handle creation + disposal): ${opOverhead().toFixed(2)} µs (target < 10 µs)`);
console.log(`\nconv3d 64→64 3x3x3, input ${inputShape.join('x')}, padding 1, median of ${iterations}:`);
console.log('dtype     pass              TypeScript                C++ loop                  TS / C++');
for (const dtype of ['float32', 'bfloat16'] as const) {
  for (const backward of [false, true]) {
    const flop = forwardFlop * (backward ? 3 : 1);
    const ts = tsConv(dtype, backward);
    const cpp = cppConv(dtype, backward);
    const fmt = (s: number) => `${(s * 1000).toFixed(1).padStart(7)} ms ${(flop / s / 1e9).toFixed(1).padStart(6)} GFLOP/s`;
    console.log(`${dtype.padEnd(9)} ${(backward ? 'forward+backward' : 'forward').padEnd(17)} ${fmt(ts)}   ${fmt(cpp)}   ${(100 * cpp / ts).toFixed(1)} %`);
  }
}
