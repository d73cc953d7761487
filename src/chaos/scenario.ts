// PURE. Scenario files: a named list of steps (faults, waits, writes, reads, claims) that the runner plays
// against a cluster. Parsed with positions so every error says file:line:col.
// The steps and their types are in scenario-types.ts; one step is parsed by parse-step.ts.
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { didYouMean } from '../plan/suggest.js';
import { failAt as fail, readYaml } from '../plan/yaml-doc.js';
import { parseStep } from './parse-step.js';
import type { Scenario } from './scenario-types.js';
import { StepReader, isNull } from './step-reader.js';

const TOP_KEYS = ['name', 'description', 'members', 'request-timeout', 'steps'];
const DEFAULT_REQUEST_TIMEOUT_MS = 2000;

/** Parses a scenario file's text; `file` names it in error positions. */
export function parseScenario(text: string, file = 'scenario.yaml'): Scenario {
  const { doc, at } = readYaml(text, file);
  const root = doc.contents;
  if (!isMap(root)) fail(at(root as Node), 'a scenario is a mapping with name, members and steps', 'see examples/failover.yaml');
  const top = new Map<string, { key: Node; value: Node | null }>();
  for (const pair of root.items) {
    const k = String((pair.key as { value?: unknown } | null)?.value ?? '');
    if (!TOP_KEYS.includes(k)) fail(at(pair.key as Node), `unknown key "${k}"${didYouMean(k, TOP_KEYS)}`, `scenario keys: ${TOP_KEYS.join(', ')}`);
    top.set(k, { key: pair.key as Node, value: isNull(pair.value) ? null : (pair.value as Node) });
  }
  const r = new StepReader(at);
  const stepsEntry = top.get('steps');
  if (!stepsEntry?.value) fail(stepsEntry ? at(stepsEntry.key) : at(root), 'the scenario has no steps', 'add "steps:" with a list, e.g. "- kill: leader"');
  if (!isSeq(stepsEntry.value) || stepsEntry.value.items.length === 0) fail(at(stepsEntry.value), 'steps must be a non-empty list');

  let members = 3;
  const m = top.get('members');
  if (m?.value) {
    const v = isScalar(m.value) ? m.value.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(at(m.value), `members must be a whole number of members, got ${JSON.stringify(v ?? null)}`);
    members = v;
  }
  const name = top.get('name')?.value ? r.text(top.get('name')!.value, 'name') : file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  const description = top.get('description')?.value ? r.text(top.get('description')!.value, 'description') : undefined;
  const rt = top.get('request-timeout')?.value;
  const requestTimeoutMs = rt ? r.duration(rt, 'request-timeout') : DEFAULT_REQUEST_TIMEOUT_MS;
  if (requestTimeoutMs <= 0) fail(at(rt), 'request-timeout must be more than 0');
  const steps = stepsEntry.value.items.map((item) => parseStep(r, item as Node, at));
  return { name, ...(description !== undefined ? { description } : {}), members, requestTimeoutMs, steps, file };
}
