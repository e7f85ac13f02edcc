import { Command } from 'commander';
import { isLoopbackHost, serveFolder } from '../serve/index.js';
import { parseListenPort } from './optionParsers.js';

/** `mrsynth serve`: serves a report folder to this machine's browser until interrupted. */
export function registerServeCommand(program: Command): void {
  program.command('serve')
    .description('serve a report folder (mrsynth report --out) over HTTP on loopback only, with the full-precision volumes; '
      + 'prints the URL to open; Ctrl-C stops it')
    .argument('<folder>', 'the report folder')
    .option('--port <n>', 'port to listen on (0: any free port)', parseListenPort, 8765)
    .option('--host <address>', 'interface to listen on; anything but loopback (127.0.0.1, ::1, localhost) lets other machines read the folder',
      '127.0.0.1')
    .action(async (folder: string, opts: { port: number; host: string }) => {
      if (!isLoopbackHost(opts.host)) {
        process.stderr.write(`mrsynth serve: warning: listening on ${opts.host}, not loopback: anyone who can reach this machine can read ${folder}\n`);
      }
      const running = await serveFolder(folder, { host: opts.host, port: opts.port });
      process.stdout.write(`serving ${folder} at ${running.url} (Ctrl-C stops)\n`);
      const stop = () => { void running.close().then(() => process.exit(0)); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
