/**
 * Engine benchmark: per-op overhead of the TypeScript → native path, and a 64→64 3x3x3 conv3d on
 * 1x64x48x48x36 through the TypeScript API versus a plain C++ loop in the same process at the same thread
 * count (the C++ figure is the ceiling the bridge is judged against; target ≥ 95 %). Last, one training step
 * of the small 3D conv net that src/optim/trainingMemory.test.ts runs 1,000 times (forward, MSE, backward,
 * gradient clipping, AdamW, EMA) at 32³: that test checks memory; its speed is printed here.
 *   npm run bench:engine [-- --iterations 10] [--training-steps 100]
 */
import { AdamW, clipGradNorm_, EMA } from '../src/optim/index.js';
import { smallConvNet } from '../src/optim/smallConvNet.testSupport.js';
import { F, Generator, getNumThreads, randn, runtimeInfo, tensor, tidy, zeros } from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { SCALAR_TYPE_CODE, type DType } from '../src/tensor/dtype.js';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1] ?? 0) || 10;
const trainingSteps = Number(process.argv[process.argv.indexOf('--training-steps') + 1] ?? 0) || 100;
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

/**
 * One TypeScript iteration and one C++ iteration alternate, so that whatever else the machine does affects
 * both sides alike and the ratio stays meaningful on a busy machine.
 */
function convPair(dtype: DType, backward: boolean): { ts: number; cpp: number } {
  const ts: number[] = [];
  const cpp: number[] = [];
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
      const tsSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cppSeconds = native.benchConv3d(inputShape, 64, SCALAR_TYPE_CODE[dtype], backward, 1)[0];
      if (i >= 2) {
        ts.push(tsSeconds);
        cpp.push(cppSeconds);
      }
    }
  });
  return { ts: median(ts), cpp: median(cpp) };
}

/**
 * Seconds per training step of the training-memory test's net (1 → 8 → 1 channels, 3x3x3 convolutions, GroupNorm,
 * SiLU) on 1x1xedge³, median of `steps` after 10 warm-up steps; each step draws a new noisy input, as the test does.
 */
function trainingStep(edge: number, steps: number): number {
  const times: number[] = [];
  const generator = new Generator(1);
  const model = smallConvNet();
  const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3 });
  const ema = new EMA(model, { decay: 0.999 });
  const target = tidy(() => randn([1, 1, edge, edge, edge], { generator }));
  for (let step = 0; step < steps + 10; step++) {
    const started = process.hrtime.bigint();
    tidy(() => {
      const x = randn([1, 1, edge, edge, edge], { generator }).mul(0.1).add(target);
      const loss = F.mseLoss(model.forward(x), target);
      loss.backward();
      clipGradNorm_(model.parameters(), 1.0);
      optimizer.step();
      optimizer.zeroGrad();
      ema.update();
      return loss.item();
    });
    if (step >= 10) times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  target.dispose();
  ema.dispose();
  optimizer.dispose();
  model.dispose();
  generator.dispose();
  return median(times);
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
    const { ts, cpp } = convPair(dtype, backward);
    const fmt = (s: number) => `${(s * 1000).toFixed(1).padStart(7)} ms ${(flop / s / 1e9).toFixed(1).padStart(6)} GFLOP/s`;
    console.log(`${dtype.padEnd(9)} ${(backward ? 'forward+backward' : 'forward').padEnd(17)} ${fmt(ts)}   ${fmt(cpp)}   ${(100 * cpp / ts).toFixed(1)} %`);
  }
}
console.log(`\ntraining step of the training-memory net (1→8→1 channels, 3x3x3 conv, GroupNorm, SiLU; forward, MSE, backward, `
  + `clipping, AdamW, EMA) on 1x1x32x32x32, float32, median of ${trainingSteps}: ${(trainingStep(32, trainingSteps) * 1000).toFixed(1)} ms/step`);
