import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { notYetRead } from '../../../src/cli/log-follow.js';

describe('cli/log-follow notYetRead', () => {
  test('lines the file already held when it was read are dropped, later ones kept', () => {
    assert.deepEqual(notYetRead(['a', 'b', 'c', 'd'], ['c', 'd', 'e']), ['e']);
  });
  test('a stream that caught nothing the file held keeps everything', () => {
    assert.deepEqual(notYetRead(['a', 'b'], ['x', 'y']), ['x', 'y']);
    assert.deepEqual(notYetRead([], ['x']), ['x']);
  });
  test('every streamed line already in the file: nothing to add', () => {
    assert.deepEqual(notYetRead(['a', 'b', 'c'], ['b', 'c']), []);
  });
  test('only a run at the end of the file counts: an equal line earlier in the file is not a duplicate', () => {
    // "b" was logged twice: once long ago (in the file), once after the read (only in the stream).
    assert.deepEqual(notYetRead(['a', 'b', 'c'], ['b']), ['b']);
  });
  test('the longest overlap wins when lines repeat', () => {
    assert.deepEqual(notYetRead(['x', 'r', 'r'], ['r', 'r', 'z']), ['z']);
  });
});
