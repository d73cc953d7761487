// PURE. What a parsed scenario is: its steps, their kinds, which kinds are claims, and the words a step may use
// for members.

/**
 * A member reference as written: a member name, a target word (leader, follower, random, all, quorum),
 * a route word for reads and writes (majority, minority, any), or `$name` for a name remembered with `as:`.
 * `$leader` is always defined: the leader at the moment the step runs.
 */
export type Ref = string;

interface StepBase {
  /** `file:line:col` of the step, for messages. */
  where: string;
  /** What the step claims, in words; generated when the file gives none. */
  claim?: string;
}

export type Step = StepBase &
  (
    | { kind: 'kill'; target: Ref; signal: 'SIGKILL' | 'SIGTERM'; as?: string }
    | { kind: 'pause' | 'resume' | 'restart' | 'isolate'; target: Ref; as?: string }
    | { kind: 'partition'; groups: Ref[][] }
    | { kind: 'cut'; from: Ref; to: Ref }
    | { kind: 'delay'; target: Ref | { from: Ref; to: Ref }; delayMs: number; jitterMs: number }
    | { kind: 'heal' }
    | { kind: 'sleep'; ms: number }
    | { kind: 'note'; text: string }
    | { kind: 'wait-leader'; not?: Ref; withinMs: number; as?: string }
    | { kind: 'put'; key: string; value: string; via: Ref; expect: 'ok' | 'fail'; timeoutMs?: number }
    | {
        kind: 'get';
        key: string;
        via: Ref;
        linearizable: boolean;
        /** `fail`, or `ok` with the value expected (`null`: the key must be absent; `undefined`: any value). */
        expect: 'ok' | 'fail';
        value?: string | null;
        timeoutMs?: number;
      }
    | { kind: 'expect-follower'; member: Ref; withinMs: number }
    | { kind: 'converge'; withinMs: number }
  );

export type StepKind = Step['kind'];

export interface Scenario {
  name: string;
  description?: string;
  /** Members the scenario is written for (the demo's default cluster size). */
  members: number;
  /** Client timeout of puts and gets that do not set their own. */
  requestTimeoutMs: number;
  steps: Step[];
  /** The file name used in positions. */
  file: string;
}

/** Steps that state something about the cluster: they PASS or FAIL. The others are actions. */
export const CLAIM_KINDS: ReadonlySet<StepKind> = new Set(['wait-leader', 'put', 'get', 'expect-follower', 'converge']);

export const STEP_KINDS: readonly StepKind[] = [
  'kill',
  'pause',
  'resume',
  'restart',
  'isolate',
  'partition',
  'cut',
  'delay',
  'heal',
  'sleep',
  'note',
  'wait-leader',
  'put',
  'get',
  'expect-follower',
  'converge',
];

export const ROUTE_WORDS = ['leader', 'follower', 'majority', 'minority', 'any'] as const;
/** Partition group entries besides names and `$vars`: `rest` = every member not named in another group. */
export const GROUP_WORDS = ['leader', 'follower', 'rest'] as const;
