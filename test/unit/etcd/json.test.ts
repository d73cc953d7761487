import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonSafe, quoteBigIntegers } from '../../../src/etcd/json.js';

test('keeps 64-bit member IDs from the peer /members answer exact', () => {
  // Real shape of GET <peerURL>/members on etcd 3.4.23.
  const text = '[{"id":5894895405749231597,"peerURLs":["http://127.0.0.1:39380"],"name":"m1","clientURLs":["http://127.0.0.1:39379"]}]';
  assert.notEqual(String((JSON.parse(text) as { id: number }[])[0]!.id), '5894895405749231597'); // what plain JSON.parse does
  const parsed = parseJsonSafe(text) as { id: unknown; name: string }[];
  assert.equal(parsed[0]!.id, '5894895405749231597');
  assert.equal(parsed[0]!.name, 'm1');
  assert.equal(BigInt(parsed[0]!.id as string).toString(16), '51cee02397c3dfed');
});

test('small numbers, floats and exponents stay numbers', () => {
  assert.deepEqual(parseJsonSafe('{"a":1,"b":-2,"c":123456789012345,"d":1.5,"e":12345678901234567.5,"f":1e300,"g":-0}'), {
    a: 1,
    b: -2,
    c: 123456789012345,
    d: 1.5,
    e: 12345678901234567.5,
    f: 1e300,
    g: -0,
  });
});

test('a 16-digit integer and a negative 19-digit integer become strings', () => {
  assert.deepEqual(parseJsonSafe('{"a":1234567890123456,"b":-9223372036854775808}'), {
    a: '1234567890123456',
    b: '-9223372036854775808',
  });
});

test('digits inside strings are untouched, including escaped quotes before them', () => {
  const text = '{"s":"12345678901234567890","t":"say \\"18446744073709551615\\" twice","u":"\\\\","n":18446744073709551615}';
  assert.deepEqual(parseJsonSafe(text), {
    s: '12345678901234567890',
    t: 'say "18446744073709551615" twice',
    u: '\\',
    n: '18446744073709551615',
  });
});

test('nested arrays and objects, with whitespace', () => {
  const text = ' [ [ 17094688681864632229 , 2 ], { "x" : [ [ 4918920156890131540 ] ] }, 3 ] ';
  assert.deepEqual(parseJsonSafe(text), [['17094688681864632229', 2], { x: [['4918920156890131540']] }, 3]);
});

test('a top-level big number, and text without big numbers is returned as is', () => {
  assert.equal(parseJsonSafe('6556359149480313158'), '6556359149480313158');
  const plain = '{"a":[1,2,"3"]}';
  assert.equal(quoteBigIntegers(plain), plain);
});

test('invalid JSON still throws', () => {
  assert.throws(() => parseJsonSafe('{"a":'), SyntaxError);
  assert.throws(() => parseJsonSafe('{"a":12345678901234567'), SyntaxError);
});
