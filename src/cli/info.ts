import type { Command } from 'commander';
import { packageVersion } from './version.js';

/** `mrsynth info`: what this installation runs on — versions, libtorch build, BLAS, threads, devices. */
export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('print versions, the libtorch build, BLAS in use, intra-op threads and devices')
    .option('--json', 'machine-readable output')
    .option('--build-config', 'also print libtorch\'s full build configuration')
    .action(async (options: { json?: boolean; buildConfig?: boolean }) => {
      // Loaded here, not at start-up: commands that need no libtorch should not pay for loading it.
      const { runtimeInfo, distributedBackends } = await import('../tensor/index.js');
      const info = runtimeInfo();
      const summary = {
        mrsynth: packageVersion(),
        node: process.version,
        libtorch: info.torchVersion,
        cxx11Abi: info.cxx11Abi,
        blas: info.blas,
        oneDNN: info.mkldnn,
        intraOpThreads: info.numThreads,
        // Set by the tensor module before libtorch loaded, unless the user had set it (src/tensor/native.ts).
        openmpWaitPolicy: process.env.OMP_WAIT_POLICY ?? 'default',
        hostAllocator: info.hostAllocator,
        devices: info.devices,
        distributedBackends: distributedBackends(),
        libtorchSource: process.env.LIBTORCH_DIR ?? 'Debian libtorch-dev',
      };
      if (options.json) {
        console.log(JSON.stringify(options.buildConfig ? { ...summary, buildConfig: info.buildConfig } : summary, null, 2));
        return;
      }
      const rows: [string, string][] = [
        ['mrsynth', summary.mrsynth], ['node', summary.node], ['libtorch', `${summary.libtorch} (${summary.libtorchSource}, C++11 ABI ${summary.cxx11Abi ? 'on' : 'off'})`],
        ['BLAS', summary.blas], ['oneDNN', summary.oneDNN ? 'available' : 'not built'],
        ['intra-op threads', `${summary.intraOpThreads} (set MRSYNTH_THREADS to change)`],
        ['OpenMP waiting', `${summary.openmpWaitPolicy} (OMP_WAIT_POLICY)`], ['host memory', `${summary.hostAllocator} (MRSYNTH_HOST_ALLOCATOR)`], ['devices', summary.devices.join(', ')],
        ['distributed', summary.distributedBackends.length > 0 ? `${summary.distributedBackends.join(', ')} (c10d process groups)`
          : 'none in this build (install libgloo-dev, then npm run build:native)'],
      ];
      for (const [key, value] of rows) console.log(`${key.padEnd(17)} ${value}`);
      if (options.buildConfig) console.log(`\n${info.buildConfig}`);
    });
}
