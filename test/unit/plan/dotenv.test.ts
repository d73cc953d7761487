import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDotenv } from '../../../src/plan/dotenv.js';
import { LabError } from '../../../src/errors.js';

function refused(fragment: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof LabError, String(e));
    assert.equal(e.code, 'BAD_PROCFILE');
    assert.match(e.message, fragment);
    assert.ok(e.hint);
    return true;
  };
}

describe('parseDotenv', () => {
  it('reads KEY=value, export, comments, blank lines and CRLF', () => {
    const text = '\uFEFF# settings\r\nA=1\r\n\r\n  export B=two words  \r\n   # indented comment\nC = spaced\nEMPTY=\n';
    assert.deepEqual(parseDotenv(text), { A: '1', B: 'two words', C: 'spaced', EMPTY: '' });
  });

  it('keeps single-quoted values literal', () => {
    assert.deepEqual(parseDotenv(`K='a\\nb $HOME "q" # not a comment'`), { K: 'a\\nb $HOME "q" # not a comment' });
  });

  it('unescapes double-quoted values', () => {
    assert.deepEqual(parseDotenv('K="line1\\nline2\\t\\"q\\" \\\\ \\$x # kept" # comment'), {
      K: 'line1\nline2\t"q" \\ $x # kept',
    });
    assert.deepEqual(parseDotenv('K=""'), { K: '' });
  });

  it('cuts " #" comments from bare values but keeps # inside a word', () => {
    assert.deepEqual(parseDotenv('A=x # note\nB=x#y\nC=#z'), { A: 'x', B: 'x#y', C: '#z' });
  });

  it('keeps = and URLs in values; a later key wins', () => {
    assert.deepEqual(parseDotenv('U=http://127.0.0.1:2379/?a=b\nU=http://x=y'), { U: 'http://x=y' });
  });

  it('refuses bad lines with file:line', () => {
    assert.throws(() => parseDotenv('A=1\nnot a pair\n'), refused(/^\.env:2: expected KEY=value, found "not a pair"/));
    assert.throws(() => parseDotenv('1BAD=x', 'dev.env'), refused(/^dev\.env:1: expected KEY=value/));
    assert.throws(() => parseDotenv('export ONLY_NAME'), refused(/^\.env:1: expected KEY=value/));
    assert.throws(() => parseDotenv('\n\nK="open'), refused(/^\.env:3: unterminated double quote/));
    assert.throws(() => parseDotenv("K='open"), refused(/^\.env:1: unterminated single quote/));
    assert.throws(() => parseDotenv('K="a" junk'), refused(/^\.env:1: unexpected "junk" after the closing quote/));
  });
});
