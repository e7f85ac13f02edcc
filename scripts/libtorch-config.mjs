#!/usr/bin/env node
// Tells node-gyp where libtorch is and how to compile against it. By default that is Debian's libtorch-dev;
// LIBTORCH_DIR points at any other libtorch (a libtorch zip, or a PyTorch install's `torch/` folder, CPU or
// CUDA). Usage from binding.gyp: `node scripts/libtorch-config.mjs include|defines|libraries|ldflags|describe`.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function debianLayout() {
  let multiarch = 'x86_64-linux-gnu';
  try { multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || multiarch; } catch { /* keep default */ }
  const libDir = `/usr/lib/${multiarch}`;
  return {
    source: 'Debian libtorch-dev',
    includeDirs: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libDir,
    cmakeConfig: join(libDir, 'cmake/Torch/TorchConfig.cmake'),
  };
}

function customLayout(dir) {
  return {
    source: `LIBTORCH_DIR=${dir}`,
    includeDirs: [join(dir, 'include'), join(dir, 'include/torch/csrc/api/include')],
    libDir: join(dir, 'lib'),
    cmakeConfig: join(dir, 'share/cmake/Torch/TorchConfig.cmake'),
  };
}

const dir = process.env.LIBTORCH_DIR;
const layout = dir ? customLayout(dir) : debianLayout();
const fail = (message) => { console.error(`libtorch-config: ${message}`); process.exit(1); };

if (!existsSync(join(layout.includeDirs[0], 'ATen/ATen.h'))) {
  fail(dir
    ? `LIBTORCH_DIR=${dir} has no include/ATen/ATen.h; point it at a libtorch folder or a PyTorch install's torch/ folder`
    : 'libtorch headers not found in /usr/include; install Debian\'s libtorch-dev (apt-get install libtorch-dev) or set LIBTORCH_DIR');
}

// The C++ ABI must match the one libtorch was built with, or linking fails on std::string symbols.
// TorchConfig.cmake records it; PyTorch wheels older than 2.x often use the old ABI (0).
function cxx11Abi() {
  if (existsSync(layout.cmakeConfig)) {
    const match = readFileSync(layout.cmakeConfig, 'utf8').match(/_GLIBCXX_USE_CXX11_ABI=([01])/);
    if (match) return match[1];
  }
  return '1';
}

const hasCuda = existsSync(join(layout.libDir, 'libtorch_cuda.so'));
const hasGloo = layout.includeDirs.some((d) => existsSync(join(d, 'gloo', 'config.h'))) && existsSync(join(layout.includeDirs[0], 'torch/csrc/distributed/c10d/ProcessGroupGloo.hpp'));
// c10d's NCCL process group needs a CUDA libtorch, NCCL's header and the CUDA toolkit's headers (CUDA_HOME, default
// /usr/local/cuda); libtorch_cuda exports it. Never the case on Debian's CPU libtorch.
const cudaInclude = join(process.env.CUDA_HOME ?? '/usr/local/cuda', 'include');
const ncclInclude = [...layout.includeDirs, cudaInclude, '/usr/include'].find((d) => existsSync(join(d, 'nccl.h')));
const hasNccl = hasCuda && ncclInclude !== undefined && existsSync(join(cudaInclude, 'cuda_runtime_api.h'))
  && existsSync(join(layout.includeDirs[0], 'torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp'));
const query = process.argv[2];
switch (query) {
  case 'include':
    console.log([...layout.includeDirs, ...(hasNccl ? [cudaInclude, ncclInclude] : [])].join(' '));
    break;
  case 'defines':
    // c10d's Gloo process group is compiled in where Gloo's headers are (Debian: libgloo-dev); libtorch exports it.
    console.log([`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi()}`, ...(hasGloo ? ['USE_C10D_GLOO'] : []), ...(hasNccl ? ['USE_C10D_NCCL'] : [])].join(' '));
    break;
  case 'libraries':
    // torch_cuda carries CUDA kernels that register themselves at load time but are never referenced by
    // symbol, so --as-needed would drop it and CUDA ops would be missing: keep it with --no-as-needed.
    console.log([`-L${layout.libDir}`, ...(hasCuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'] : []),
      '-ltorch', '-ltorch_cpu', '-lc10'].join(' '));
    break;
  case 'ldflags':
    console.log(`-Wl,-rpath,${layout.libDir}`);
    break;
  case 'describe':
    console.log(JSON.stringify({ ...layout, cxx11Abi: cxx11Abi(), cuda: hasCuda, gloo: hasGloo, nccl: hasNccl }, null, 2));
    break;
  default:
    fail(`unknown query '${query}'; expected include|defines|libraries|ldflags|describe`);
}
