/**
 * The layering of the code base, checked rather than hoped for: every relative import of every module under src/
 * must point at an area its own area may depend on. Lower layers never reach up (the engine knows no models,
 * schedulers know no codecs, models know no schedulers); the layers that serve every method (runs, training,
 * completion, pipelines) know no network or codec, which only a method (src/methods/<name>/) puts together; and
 * nothing but the CLI itself imports the CLI. The README's "Dependency rules" state the same table.
 *
 * Two house rules go with it: a folder is entered through its face, so an import into another folder names that
 * folder's index.js (test helpers, `*.testSupport.ts`, excepted: they are not part of any face); and every file
 * and folder under src/ is named in lowerCamelCase (with qualifiers such as `.test` or `.testSupport` before `.ts`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = dirname(fileURLToPath(import.meta.url));

/** Area → the areas it may import (besides itself). `util` is open to all; `cli` may import everything. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: [],
  serve: [],
  distributed: ['tensor', 'nn'],
  report: ['io', 'volume', 'metrics', 'viz'],
  tensor: [],
  volume: [],
  io: ['tensor', 'volume'],
  nn: ['tensor', 'io'],
  optim: ['tensor', 'nn'],
  data: ['io', 'volume'],
  transforms: ['volume'],
  phantom: ['io', 'volume', 'data'],
  metrics: ['volume', 'transforms', 'data', 'io'],
  baselines: ['data', 'volume'],
  viz: ['volume', 'data', 'io'],
  codecs: ['tensor', 'nn'],
  schedulers: ['tensor'],
  models: ['tensor', 'nn'],
  pipelines: ['tensor', 'nn', 'codecs', 'schedulers', 'volume'],
  runs: ['tensor', 'io', 'data', 'transforms', 'schedulers', 'volume', 'nn'],
  training: ['tensor', 'nn', 'optim', 'io', 'data', 'transforms', 'schedulers', 'pipelines', 'runs', 'metrics', 'volume', 'distributed'],
  completion: ['tensor', 'nn', 'io', 'data', 'transforms', 'schedulers', 'pipelines', 'runs', 'methods', 'baselines', 'metrics', 'volume'],
  convert: ['tensor', 'nn', 'io'],
  methods: ['tensor', 'nn', 'optim', 'io', 'data', 'transforms', 'volume', 'codecs', 'schedulers', 'models', 'pipelines', 'runs', 'training',
    'convert', 'metrics'],
};

/** Every relative module specifier in `text`: static imports and re-exports with either quote, and dynamic `import()`. */
export function relativeSpecifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)].map((m) => m[2]);
}

interface SourceFile {
  /** Absolute path under `root`. */
  readonly path: string;
  readonly text: string;
}

/** The imports that break `allowed`, as `file imports specifier (from → to)`. */
function layeringViolations(root: string, files: readonly SourceFile[], allowed: Readonly<Record<string, readonly string[]>>): string[] {
  const areaOf = (path: string) => relative(root, path).split(sep)[0];
  const violations: string[] = [];
  for (const { path, text } of files) {
    const from = areaOf(path);
    if (from === 'cli' || from.endsWith('.ts')) continue; // the CLI may use everything; src/index.ts re-exports everything
    const isTest = /\.(test|testSupport)\.ts$/.test(path);
    for (const specifier of relativeSpecifiers(text)) {
      const to = areaOf(resolve(dirname(path), specifier));
      if (to === from || to === 'util') continue;
      // Tests may build fixtures with any lower-level tool (e.g. phantoms for training tests), never with the CLI.
      const ok = to !== 'cli' && (allowed[from]?.includes(to) || isTest);
      if (!ok) violations.push(`${relative(root, path)} imports ${specifier} (${from} → ${to})`);
    }
  }
  return violations;
}

/** Imports into another folder that do not go through its index.js, as `file imports specifier`. */
function faceViolations(root: string, files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  for (const { path, text } of files) {
    for (const specifier of relativeSpecifiers(text)) {
      const target = resolve(dirname(path), specifier);
      const inside = !relative(root, target).startsWith('..');
      const face = /(^|\/)index\.js$/.test(specifier) || /\.testSupport\.js$/.test(specifier);
      if (inside && dirname(target) !== dirname(path) && !face) violations.push(`${relative(root, path)} imports ${specifier}`);
    }
  }
  return violations;
}

const LOWER_CAMEL_FILE = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*\.ts$/;
const LOWER_CAMEL_FOLDER = /^[a-z][A-Za-z0-9]*$/;

/** TypeScript files and folders (relative to `root`) not named in lowerCamelCase. */
function namingViolations(root: string, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    const parts = relative(root, path).split(sep);
    const name = parts[parts.length - 1];
    return !parts.slice(0, -1).every((folder) => LOWER_CAMEL_FOLDER.test(folder)) || (name.endsWith('.ts') && !LOWER_CAMEL_FILE.test(name));
  }).map((path) => relative(root, path));
}

function sourceFiles(dir: string): SourceFile[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('architecture', () => {
  test('every import follows the layering (lower layers never reach up; only the CLI imports the CLI)', () => {
    assert.deepEqual(layeringViolations(src, sourceFiles(src), ALLOWED), []);
  });

  test('an import into another folder goes through its index.js', () => {
    assert.deepEqual(faceViolations(src, sourceFiles(src)), []);
  });

  test('every TypeScript file and folder under src/ is named in lowerCamelCase', () => {
    assert.deepEqual(namingViolations(src, sourceFiles(src).map((f) => f.path)), []);
  });

  test('the face and naming checks report what breaks them', () => {
    const file = (path: string, text: string): SourceFile => ({ path: join('/r', path), text });
    assert.deepEqual(faceViolations('/r', [
      file('viz/a.ts', "import { b } from './b.js';\nimport { assert } from '../util/assert.js';\nimport { c } from '../volume/index.js';"),
      file('io/nifti/d.ts', "export { e } from '../../tensor/dtype.js';\nimport { f } from '../safetensors/index.js';\nimport { g } from '../../phantom/x.testSupport.js';"),
      file('metrics/h.test.ts', "import { pattern } from '../../test-fixtures/metrics/pattern.js';"),
    ]), ['viz/a.ts imports ../util/assert.js', 'io/nifti/d.ts imports ../../tensor/dtype.js']);
    assert.deepEqual(namingViolations('/r', ['/r/viz/render-slices.ts', '/r/viz/renderSlices.test.ts', '/r/Methods/a.ts', '/r/io/x_y.ts',
      '/r/data/fixtures/numpy-random.py', '/r/a/b.testSupport.ts']), ['viz/render-slices.ts', 'Methods/a.ts', 'io/x_y.ts']);
  });

  test('every area under src/ has a place in the layering', () => {
    const areas = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory() && name !== 'cli');
    assert.deepEqual(areas.filter((a) => !(a in ALLOWED)), []);
  });

  test('the checker sees every form of import and reports each violation', () => {
    const file = (path: string, text: string): SourceFile => ({ path: join('/r', path), text });
    const files = [
      file('completion/a.ts', `import { X } from "../models/wdm/index.js";\nexport { Y } from '../codecs/index.js';`),
      file('training/b.ts', "const m = await import('../models/index.js');\nimport type {\n  Z,\n} from '../codecs/haar.js';"),
      file('io/c.ts', "import '../nn/index.js';\nimport { tidy } from '../tensor/index.js';"),
      file('tensor/d.ts', "import { x } from './local.js';\nimport { assert } from '../util/assert.js';"),
      file('completion/e.test.ts', "import { writeRun } from '../models/wdm/index.js';\nimport { run } from '../cli/main.js';"),
    ];
    const rules = { completion: ['runs'], training: ['runs'], io: ['tensor'], tensor: [] };
    assert.deepEqual(layeringViolations('/r', files, rules), [
      'completion/a.ts imports ../models/wdm/index.js (completion → models)',
      'completion/a.ts imports ../codecs/index.js (completion → codecs)',
      'training/b.ts imports ../models/index.js (training → models)',
      'training/b.ts imports ../codecs/haar.js (training → codecs)',
      'io/c.ts imports ../nn/index.js (io → nn)',
      'completion/e.test.ts imports ../cli/main.js (completion → cli)',
    ]);
  });
});
