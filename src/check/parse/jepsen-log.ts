// PURE. Jepsen's log of its etcd test (a single register): one event a line,
//   INFO  jepsen.util - 3	:invoke	:cas	[1 2]
// with the process, the type (:invoke, :ok, :fail, :info), the function (:read, :write, :cas) and a value
// (nil, 4, [1 2], :timed-out), separated by tabs or spaces. Lines that are not such events (other loggers, other
// messages) and the nemesis's events are skipped; an event that cannot be read is an error naming its line, and so is
// a line of that logger that begins like one but is cut short (`3 :in`, as the last line of a truncated log).
//
// How each event is read (porcupine's reading of these logs, whose verdicts the tests compare against):
//   :invoke :read nil / :write v / :cas [a b]   a call by that process
//   :ok :read v (nil: absent), :ok :write v, :ok :cas [a b]   it happened, with that result (a write's or cas's
//                                                     completion repeats its invoke's value, or it is malformed)
//   :fail :cas [a b]   the cas completed and found a value other than a: an ok operation with `ok: false`
//   :fail :read ...    (e.g. :timed-out) nothing is known about that read: dropped (it constrains nothing)
//   :fail :write ...   it did not happen (Jepsen's :fail): dropped
//   :info ...          timed out: unknown, it may take effect at any time after its call, or never
//   no completion      the same as :info
// The time of an event is its line number.
import type { JepsenInput, JepsenOperation, JepsenOutput } from '../models/jepsen-register.js';
import { ednShow, EdnError, parseEdn, type Edn } from './edn.js';
import { badLine, pairEvents, type EventType, type JepsenEvent, type Pairing } from './events.js';

/** An event: the process and the type after `jepsen.util -`; anything else of that logger is not one. */
const EVENT = /\bjepsen\.util\s*[-:]?\s+(\S+)\s+:(invoke|ok|fail|info)\b/;
const LINE = /\bjepsen\.util\s*[-:]?\s+(\S+)\s+:(invoke|ok|fail|info)\s+:(\S+)\s*(.*?)\s*$/;

/** A client process's number, then nothing or a keyword that is not a whole event type: an event cut short. */
const CUT_EVENT = /\bjepsen\.util\s*[-:]?\s+\d+(?:\s+:\S*)?\s*$/;

export const looksLikeJepsenLog = (line: string): boolean => EVENT.test(line);

export function parseJepsenLog(text: string, file = 'history'): JepsenOperation[] {
  const events: JepsenEvent[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (!looksLikeJepsenLog(line)) {
      if (CUT_EVENT.test(line)) return badLine(file, n + 1, 'a whole Jepsen event "<process> :invoke|:ok|:fail|:info :<f> <value>" (the line is cut short)', JSON.stringify(line.slice(0, 80)));
      continue;
    }
    const m = LINE.exec(line);
    if (!m) return badLine(file, n + 1, 'a Jepsen event "<process> :invoke|:ok|:fail|:info :<f> <value>"', JSON.stringify(line.slice(0, 80)));
    const [, process, type, f, rest] = m;
    if (process!.startsWith(':')) continue; // :nemesis and other non-client processes
    let value: Edn | undefined;
    try {
      value = rest === '' ? undefined : parseEdn(rest!);
    } catch (e) {
      if (!(e instanceof EdnError)) throw e;
      return badLine(file, n + 1, `an EDN value after :${f} (${e.message})`, JSON.stringify(rest));
    }
    events.push({ process: process!, type: type as EventType, f: f!, value, line: n + 1 });
  }
  return pairEvents(events, file, registerPairing, (ev) => `${ev.process} :${ev.type} :${ev.f} ${ednShow(ev.value)}`);
}

const scalar = (v: Edn | undefined): string | null | undefined => (v === null ? null : typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

const pair = (v: Edn | undefined): [string, string] | undefined => {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const a = scalar(v[0]!);
  const b = scalar(v[1]!);
  return a == null || b == null ? undefined : [a, b];
};

const registerPairing: Pairing<JepsenInput, JepsenOutput> = {
  input(ev, bad) {
    switch (ev.f) {
      case 'read':
        return { f: 'read' };
      case 'write': {
        const v = scalar(ev.value);
        return v == null ? bad('a value to write (:write 3)') : { f: 'write', value: v };
      }
      case 'cas': {
        const p = pair(ev.value);
        return p ? { f: 'cas', from: p[0], to: p[1] } : bad('the cas arguments as [from to] (:cas [1 2])');
      }
      default:
        return bad('the register functions :read, :write or :cas');
    }
  },
  complete(input, ev, bad, invoked) {
    if (ev.f !== input.f) return bad(`a completion of :${input.f}, the function this process invoked`);
    // Jepsen repeats a write's or cas's arguments in its ok, and a cas's in its fail: other ones answer another call.
    const other = (): never => bad(`the value of the :${input.f} this process invoked on line ${invoked.line} (${ednShow(invoked.value)})`);
    const same = ednShow(ev.value) === ednShow(invoked.value);
    if (ev.type === 'fail') {
      if (input.f !== 'cas' || !pair(ev.value)) return { outcome: 'fail' };
      return same ? { outcome: 'ok', output: { f: 'cas', ok: false } } : other();
    }
    if (input.f !== 'read' && !same) return other();
    switch (input.f) {
      case 'read': {
        const v = scalar(ev.value);
        return v === undefined ? bad('the value read (nil or a value)') : { outcome: 'ok', output: { f: 'read', value: v } };
      }
      case 'write':
        return { outcome: 'ok', output: { f: 'write' } };
      case 'cas':
        return { outcome: 'ok', output: { f: 'cas', ok: true } };
    }
  },
};
