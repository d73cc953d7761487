// PURE. A Jepsen key-value history in EDN, one event a line (porcupine's kv test data):
//   {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
//   {:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}
// Functions :get (value: the string read), :put and :append (value: the string written). Types as Jepsen means
// them: ok = happened; fail = did not happen (dropped); info or no completion = unknown (it may take effect at any
// time after its call, or never; a get of unknown outcome constrains nothing). A get that read nil read the
// empty string (every key starts as ""); an ok get without :value is malformed, as is a completion whose :key, or
// (put, append) :value, is not its invoke's. Events of non-numeric processes (:nemesis) are skipped; blank lines and
// lines starting with ; are ignored. The time of an event is its line number.
import type { KvInput, KvOperation, KvOutput } from '../models/kv.js';
import { ednShow, EdnError, isKeyword, parseEdn, type Edn } from './edn.js';
import { badLine, pairEvents, type EventType, type JepsenEvent, type Pairing } from './events.js';

const TYPES = new Set<string>(['invoke', 'ok', 'fail', 'info']);

export function parseEdnKv(text: string, file = 'history'): KvOperation[] {
  const events: JepsenEvent[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith(';')) continue;
    let v: Edn;
    try {
      v = parseEdn(line);
    } catch (e) {
      if (!(e instanceof EdnError)) throw e;
      return badLine(file, n + 1, `an EDN map (column ${e.column}: ${e.message})`, JSON.stringify(line.slice(0, 80)));
    }
    if (!(v instanceof Map)) return badLine(file, n + 1, 'an EDN map {:process … :type … :f …}', JSON.stringify(line.slice(0, 80)));
    const process = v.get('process');
    const type = v.get('type');
    const f = v.get('f');
    if (isKeyword(process)) continue; // :nemesis
    if (typeof process !== 'number' && typeof process !== 'string') return badLine(file, n + 1, ':process with a number', JSON.stringify(line.slice(0, 80)));
    if (!isKeyword(type) || !TYPES.has(type.keyword)) return badLine(file, n + 1, ':type :invoke, :ok, :fail or :info', JSON.stringify(line.slice(0, 80)));
    if (!isKeyword(f)) return badLine(file, n + 1, ':f with a keyword (:get, :put, :append)', JSON.stringify(line.slice(0, 80)));
    events.push({ process: String(process), type: type.keyword as EventType, f: f.keyword, value: v.has('value') ? v.get('value')! : undefined, line: n + 1, fields: v });
  }
  return pairEvents(events, file, kvPairing, (ev) => `{:process ${ev.process}, :type :${ev.type}, :f :${ev.f}, :key ${ednShow(ev.fields?.get('key'))}, :value ${ednShow(ev.value)}}`);
}

const text = (v: Edn | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

const kvPairing: Pairing<KvInput, KvOutput> = {
  input(ev, bad) {
    const key = text(ev.fields?.get('key'));
    if (key === undefined) return bad('a :key (a string or number)');
    switch (ev.f) {
      case 'get':
        return { f: 'get', key };
      case 'put':
      case 'append': {
        const value = text(ev.value);
        return value === undefined ? bad(`the string to ${ev.f} as :value`) : { f: ev.f, key, value };
      }
      default:
        return bad('the key-value functions :get, :put or :append');
    }
  },
  complete(input, ev, bad, invoked) {
    if (ev.f !== input.f) return bad(`a completion of :${input.f}, the function this process invoked`);
    if (text(ev.fields?.get('key')) !== input.key) return bad(`the :key of the :${input.f} this process invoked on line ${invoked.line} (${JSON.stringify(input.key)})`);
    if (input.f !== 'get' && ev.type === 'ok' && ednShow(ev.value) !== ednShow(invoked.value)) {
      return bad(`the :value of the :${input.f} this process invoked on line ${invoked.line} (${ednShow(invoked.value)})`);
    }
    if (ev.type === 'fail') return { outcome: 'fail' };
    if (input.f === 'get') {
      const value = ev.value === null ? '' : text(ev.value);
      return value === undefined ? bad('the string read as :value') : { outcome: 'ok', output: { f: 'get', value } };
    }
    return { outcome: 'ok', output: { f: input.f } };
  },
};
