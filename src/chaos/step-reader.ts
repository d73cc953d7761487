// PURE. Reads the values of scenario steps (text, durations, booleans, member references, links, a step's keys)
// with positions, and remembers the names set with `as:` so far.
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import type { LabError } from '../errors.js';
import { parseDuration } from '../plan/duration.js';
import { didYouMean } from '../plan/suggest.js';
import { failAt as fail, type Where } from '../plan/yaml-doc.js';
import type { Ref } from './scenario-types.js';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function isNull(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** Reads one scenario step list at a time, remembering which `as:` names are defined so far. */
export class StepReader {
  private readonly vars = new Set<string>(['leader']);

  constructor(private readonly at: Where) {}

  text(node: unknown, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') fail(this.at(node as Node), `${what} must be a string`);
    const v = node.value;
    if (typeof v === 'boolean') fail(this.at(node), `${what} must be a string, got ${v} (quote it: "${v}")`);
    const s = String(v);
    if (s === '') fail(this.at(node), `${what} must not be empty`);
    return s;
  }

  duration(node: unknown, what: string): number {
    const s = this.text(node, what);
    try {
      return parseDuration(s, what);
    } catch (e) {
      return fail(this.at(node as Node), (e as LabError).message, (e as LabError).hint);
    }
  }

  bool(node: unknown, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') fail(this.at(node as Node), `${what} must be true or false`);
    return node.value;
  }

  /** A member reference; `$x` must name something remembered earlier, a bare remembered name becomes `$x`. */
  ref(node: unknown, what: string, words: readonly string[]): Ref {
    return this.refText(this.text(node, what), node as Node, what, words);
  }

  refText(s: string, node: Node, what: string, words: readonly string[]): Ref {
    if (s.startsWith('$')) {
      const name = s.slice(1);
      if (!this.vars.has(name)) {
        const known = [...this.vars].map((v) => `$${v}`);
        fail(this.at(node), `${what} uses ${s}, which no earlier step remembered${didYouMean(s, known)}`, `remember a member with "as: ${name}" on an earlier step (kill, pause, wait-leader...); known: ${known.join(', ')}`);
      }
      return s;
    }
    if (this.vars.has(s) && !words.includes(s)) return `$${s}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(s)) fail(this.at(node), `${what} "${s}" is not a member name, $name${words.length > 0 ? ` or one of ${words.join(', ')}` : ''}`);
    return s;
  }

  remember(node: unknown): string {
    const s = this.text(node, 'as');
    const name = s.startsWith('$') ? s.slice(1) : s;
    if (!NAME_RE.test(name)) fail(this.at(node as Node), `as: "${s}" is not a usable name (letters, digits, _ and -)`);
    if (name === 'leader') fail(this.at(node as Node), 'as: "leader" is taken: $leader always means the current leader', 'pick another name, e.g. old_leader');
    this.vars.add(name);
    return name;
  }

  /** The keys of a step's mapping value, checked against the allowed ones. */
  fields(node: Node, step: string, allowed: readonly string[], required: readonly string[] = []): Map<string, Node> {
    if (!isMap(node)) fail(this.at(node), `${step} takes a mapping with ${allowed.join(', ')}`);
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap).items) {
      const k = String((pair.key as { value?: unknown } | null)?.value ?? '');
      if (!allowed.includes(k)) fail(this.at(pair.key as Node), `${step} has no key "${k}"${didYouMean(k, allowed)}`, `${step} keys: ${allowed.join(', ')}`);
      if (isNull(pair.value)) fail(this.at(pair.key as Node), `${step}.${k} has no value`);
      out.set(k, pair.value as Node);
    }
    for (const r of required) if (!out.has(r)) fail(this.at(node), `${step} needs "${r}"`, `${step} keys: ${allowed.join(', ')}`);
    return out;
  }

  link(node: Node, what: string, words: readonly string[]): { from: Ref; to: Ref } {
    const s = this.text(node, what);
    const m = /^\s*([^\s>-][^\s>]*?)\s*->\s*(\S+)\s*$/.exec(s);
    if (!m) fail(this.at(node), `${what} "${s}" is not a link`, 'write a link as from->to, e.g. m1->m2');
    const one = (t: string): Ref => this.refText(t, node, what, words);
    return { from: one(m[1]!), to: one(m[2]!) };
  }
}
