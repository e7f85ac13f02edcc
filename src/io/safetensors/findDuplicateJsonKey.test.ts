import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDuplicateJsonKey } from './findDuplicateJsonKey.js';

test('finds a key repeated in the same object, at any depth', () => {
  assert.equal(findDuplicateJsonKey('{"a":1,"b":2,"a":3}'), 'a');
  assert.equal(findDuplicateJsonKey('{"x":{"k":1,"k":2}}'), 'k');
  assert.equal(findDuplicateJsonKey('[{"k":1},{"q":[{"z":0,"z":0}]}]'), 'z');
});

test('compares keys after unescaping, so "\\u0061" and "a" are the same key', () => {
  assert.equal(findDuplicateJsonKey('{"a":1,"\\u0061":2}'), 'a');
});

test('does not confuse values, array items or keys of sibling objects with duplicates', () => {
  assert.equal(findDuplicateJsonKey('{"a":"a","b":["a","b"],"c":{"a":1},"d":{"a":2}}'), undefined);
  assert.equal(findDuplicateJsonKey('{"q\\"uote":"x\\\\","q":"\\"q\\""}'), undefined);
  assert.equal(findDuplicateJsonKey('{} '), undefined);
});
