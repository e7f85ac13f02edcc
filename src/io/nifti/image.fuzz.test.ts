import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niftiFuzzCorpus } from './fuzzCorpus.testSupport.js';
import { parseNiftiHeader } from './header.js';
import { parseNifti } from './image.js';

/**
 * Corrupt, truncated, random and hostile inputs (seeded, several hundred; fuzzCorpus.testSupport.ts): each must
 * either parse into a consistent image or throw a plain Error that names the file; never another exception
 * type, a hang or an allocation the header merely claims. How fast the readers go through them: npm run bench:data.
 */
const cases = niftiFuzzCorpus();

test(`${cases.length} corrupt, random and hostile files give a consistent image or a clean Error naming the file`, () => {
  assert.ok(cases.length >= 500, `only ${cases.length} cases`);
  let failures = 0;
  for (const { name, bytes, mustFail } of cases) {
    for (const parse of [parseNifti, parseNiftiHeader]) {
      try {
        const result = parse(bytes, name);
        assert.ok(!mustFail || parse === parseNiftiHeader, `${name}: ${parse.name} accepted a file that must fail`);
        if ('volume' in result) {
          const { shape, data } = result.volume;
          assert.equal(data.length, shape[0] * shape[1] * shape[2], name);
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof Error && error.constructor === Error, `${name}: ${parse.name} threw ${String(error)}`);
        assert.ok(error.message.includes(name), `${name}: message does not name the file: ${error.message}`);
        if (parse === parseNifti) failures++;
      }
    }
  }
  assert.ok(failures > cases.length / 2, `only ${failures} of ${cases.length} files were refused`);
});

test('the bombs are refused for the right reason', () => {
  const reasons: Record<string, RegExp> = {
    'bomb-small-claim': /inflates to more than the 472 bytes the header implies/,
    'bomb-over-cap': /dims \[2000,2000,2000\] of float64 need 64000000544 bytes on disk and \d+ as float32, more than the limit niftiBytes=\d+; .*--limit niftiBytes=N/,
    'bomb-tiny-stream': /compressed bytes cannot hold the 1000000352 bytes the header implies/,
    'bomb-v2-dims': /need \d+ bytes on disk/,
  };
  for (const { name, bytes } of cases.filter((c) => c.name.includes('bomb'))) {
    const kind = Object.keys(reasons).find((k) => name.includes(k))!;
    assert.throws(() => parseNifti(bytes, name), reasons[kind]);
  }
  // The header alone of a bomb is harmless to read.
  assert.equal(parseNiftiHeader(cases.find((c) => c.name.includes('bomb-small-claim'))!.bytes, 'bomb').dim[1], 5);
});
