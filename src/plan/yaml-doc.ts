// Reading a YAML file for etcd-lab.yaml and scenario files: syntax errors and every later complaint name `file:line:col`.
import { LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { LabError } from '../errors.js';

/** Names a node's position as `file:line:col` (the file alone when the node has none). */
export type Where = (node: Node | null | undefined) => string;

export function failAt(where: string, msg: string, hint?: string): never {
  throw new LabError('BAD_CONFIG', `${where}: ${msg}`, hint ? { hint } : {});
}

/** Parses `text` (duplicate keys are errors); BAD_CONFIG at the first syntax error. */
export function readYaml(text: string, file: string): { doc: Document.Parsed; at: Where } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    // The library's message ends its first line with " at line L, column C:" and shows the place below it: the
    // place is said once, as file:line:col, and what it shows follows as details.
    const [first = '', ...rest] = e.message.split('\n');
    const what = first.replace(/ at line \d+, column \d+:?$/, '');
    const shown = rest.filter((l) => l.trim() !== '');
    throw new LabError('BAD_CONFIG', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${what}`, { details: shown });
  }
  const at: Where = (node) => {
    const off = node?.range?.[0];
    if (off === undefined) return file;
    const p = lc.linePos(off);
    return `${file}:${p.line}:${p.col}`;
  };
  return { doc, at };
}
