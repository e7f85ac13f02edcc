import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resetReaderLimits, setReaderLimits } from '../index.js';
import { PickleGlobal, restrictedUnpickle, type UnpickleOptions } from './restrictedUnpickle.js';

const refuseAll: UnpickleOptions = {
  source: 'test.pkl',
  resolveGlobal: (module, name) => { throw new Error(`refused ${module}.${name}`); },
  persistentLoad: (pid) => ({ pid }),
};
const load = (bytes: number[] | Uint8Array, options: Partial<UnpickleOptions> = {}) =>
  restrictedUnpickle(Uint8Array.from(bytes), { ...refuseAll, ...options });
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const binunicode = (s: string) => { const b = Buffer.from(s, 'utf8'); return [0x58, b.length, 0, 0, 0, ...b]; };

describe('restrictedUnpickle', () => {
  test('reads plain data pickled by Python (protocols 2 and 5) as Python built it', () => {
    for (const protocol of [2, 5]) {
      const bytes = readFileSync(new URL(`../../../test-fixtures/pytorch/plain-protocol${protocol}.pkl`, import.meta.url));
      const value = restrictedUnpickle(new Uint8Array(bytes), refuseAll) as Map<unknown, unknown>;
      assert.deepEqual(value.get('ints'), [0, 1, -1, 255, 256, 65535, 65536, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2n ** 53n, -(2n ** 63n), 2n ** 70n]);
      assert.deepEqual(value.get('floats'), [0.5, -1e-300, 1e308]);
      assert.deepEqual(value.get('text'), ['', 'ascii', 'grüß ☃ 😀']);
      assert.deepEqual(value.get('nested'), new Map<unknown, unknown>([
        ['tuple', [1, [2, 3], []]], ['list', [[], [null, true, false]]], [7, 'int key'],
      ]));
      const shared = value.get('shared') as unknown[][];
      assert.deepEqual(shared, [['same object'], ['same object']]);
      assert.equal(shared[0], shared[1], `protocol ${protocol}: a memoised object comes back as the same object`);
    }
  });

  test('decodes hand-assembled opcodes: BININT sign, LONG1 two\'s complement, big-endian BINFLOAT, persistent ids', () => {
    // PROTO 2, MARK, BININT -5, LONG1 [], LONG1 [ff], LONG1 [00 80], BINFLOAT 1.5, BINPERSID('k'), TUPLE, STOP
    const pickle = [0x80, 2, 0x28, 0x4a, 0xfb, 0xff, 0xff, 0xff, 0x8a, 0, 0x8a, 1, 0xff, 0x8a, 2, 0x00, 0x80,
      0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, ...binunicode('k'), 0x51, 0x74, 0x2e];
    assert.deepEqual(load(pickle), [-5, 0, -1, -32768, 1.5, { pid: 'k' }]);
  });

  test('reads the other data opcodes: LIST, DICT, the BINBYTES family, BINUNICODE8, LONG4, POP, POP_MARK', () => {
    const u64 = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
    const pickle = [0x80, 2, 0x28,
      0x28, 0x4b, 1, 0x6c, // MARK 1 LIST
      0x28, ...binunicode('k'), 0x4b, 2, 0x64, // MARK 'k' 2 DICT
      0x42, 2, 0, 0, 0, ...ascii('ab'), 0x43, 1, ...ascii('c'), 0x8e, ...u64(1), ...ascii('d'),
      0x8d, ...u64(2), ...ascii('hi'), 0x8b, 2, 0, 0, 0, 0x00, 0x01,
      0x4e, 0x30, // None POP
      0x28, 0x4e, 0x4e, 0x31, // MARK None None POP_MARK
      0x74, 0x2e];
    assert.deepEqual(load(pickle), [[1], new Map([['k', 2]]), Uint8Array.from(ascii('ab')), Uint8Array.from(ascii('c')),
      Uint8Array.from(ascii('d')), 'hi', 256]);
  });

  test('hands every global to resolveGlobal and calls only what it returns as callable', () => {
    const seen: string[] = [];
    const options: Partial<UnpickleOptions> = {
      resolveGlobal: (module, name) => {
        seen.push(`${module}.${name}`);
        return new PickleGlobal(module, name, name === 'pair' ? (args) => ({ pair: args }) : undefined);
      },
    };
    // GLOBAL m.pair, BININT1 1, BININT1 2, TUPLE2, REDUCE, STOP
    assert.deepEqual(load([0x80, 2, 0x63, ...ascii('m\npair\n'), 0x4b, 1, 0x4b, 2, 0x86, 0x52, 0x2e], options), { pair: [1, 2] });
    assert.throws(() => load([0x80, 2, 0x63, ...ascii('m\nmarker\n'), 0x29, 0x52, 0x2e], options),
      /restrictedUnpickle\(test\.pkl\): REDUCE at byte \d+ cannot call m\.marker/);
    assert.deepEqual(seen, ['m.pair', 'm.marker']);
    assert.throws(() => load([0x80, 2, 0x63, ...ascii('os\nsystem\n'), ...binunicode('echo hi'), 0x85, 0x52, 0x2e]), /refused os\.system/);
    // Protocol 4 names globals with STACK_GLOBAL: the module and name are strings already on the stack.
    assert.throws(() => load([0x80, 4, 0x8c, 8, ...ascii('builtins'), 0x8c, 4, ...ascii('eval'), 0x93, 0x2e]), /refused builtins\.eval/);
  });

  test('drops the attribute state BUILD sets on a dict (a state dict\'s _metadata) and refuses BUILD on anything else', () => {
    // EMPTY_DICT, EMPTY_DICT (state), BUILD, STOP
    assert.deepEqual(load([0x80, 2, 0x7d, 0x7d, 0x62, 0x2e]), new Map());
    assert.throws(() => load([0x80, 2, 0x5d, 0x7d, 0x62, 0x2e]), /BUILD at byte 4 may only set attributes of a dict, got a list\/tuple of 0/);
  });

  const broken: [string, number[], RegExp][] = [
    ['an opcode outside the allowed set (INST)', [0x80, 2, 0x69, ...ascii('os\nsystem\n'), 0x2e], /unsupported opcode 0x69 \("i"\) at byte 2; only the data opcodes/],
    ['a newer protocol', [0x80, 6, 0x4e, 0x2e], /pickle protocol 6 is newer than 5/],
    ['a truncated string', [0x80, 2, 0x58, 10, 0, 0, 0, 0x61], /truncated: needs 10 byte\(s\) at byte 7, only 1 left/],
    ['a missing STOP', [0x80, 2, 0x4e], /truncated: needs 1 byte\(s\) at byte 3/],
    ['an unknown memo entry', [0x80, 2, 0x68, 3, 0x2e], /memo entry 3 read at byte 2 was never stored/],
    ['a stack underflow', [0x80, 2, 0x85, 0x2e], /stack underflow/],
    ['TUPLE without MARK', [0x80, 2, 0x74, 0x2e], /no MARK before the opcode at byte 2/],
    ['SETITEM on a list', [0x80, 2, 0x5d, 0x4e, 0x4e, 0x73, 0x2e], /SETITEM\(S\) at byte 5 needs a dict, got a list/],
    ['a list as a dict key', [0x80, 2, 0x7d, 0x5d, 0x4e, 0x73, 0x2e], /dict key at byte 5 must be a string, number or bool, got a list/],
    ['invalid UTF-8', [0x80, 2, 0x58, 1, 0, 0, 0, 0xff, 0x2e], /invalid UTF-8 in the string at byte 7/],
    ['leftover values at STOP', [0x80, 2, 0x4e, 0x4e, 0x2e], /STOP at byte 4 leaves 1 value\(s\) on the stack/],
  ];
  for (const [what, bytes, message] of broken) {
    test(`rejects ${what} with a clean error`, () => assert.throws(() => load(bytes), message));
  }

  test('the values a pickle creates are bounded (pickleValues): one byte per dict cannot exhaust memory', () => {
    // 1,000 EMPTY_DICT/POP pairs and 10 marks: 1,010 values created.
    const ops = [0x80, 2, ...Array(1000).fill([0x7d, 0x30]).flat(), ...Array(10).fill([0x28, 0x31]).flat(), 0x4e, 0x2e];
    try {
      setReaderLimits({ pickleValues: 1010 });
      assert.throws(() => load(ops), /restrictedUnpickle\(test\.pkl\): it creates more values by byte \d+, more than the limit pickleValues=1010; .*--limit pickleValues=N/);
      setReaderLimits({ pickleValues: 1011 });
      assert.equal(load(ops), null);
    } finally {
      resetReaderLimits();
    }
  });
});
