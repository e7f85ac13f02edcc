import { relative } from 'node:path';

/** How this CLI was started, for commands printed to copy: `node dist/cli/main.js` from a checkout, else `mrsynth`. */
export function selfCommand(): string {
  const script = process.argv[1] ?? '';
  return /(^|[\\/])dist[\\/]cli[\\/]main\.js$/.test(script) ? `node ${relative(process.cwd(), script)}` : 'mrsynth';
}
