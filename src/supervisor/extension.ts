// What a higher layer (chaos) plugs into a supervisor without the supervisor importing it: its control operations,
// the peer network of a chaos plan, and code to load while the members start.
import type { ClusterPlan, MemberPlan } from '../plan/types.js';
import type { ControlHandler } from './control.js';

/** The peer network of a chaos plan (one forward proxy per member) as the supervisor drives it. */
export interface PeerNetworkHook {
  addMember(m: MemberPlan): Promise<void>;
  removeMember(name: string): Promise<void>;
  movePeer(name: string, peerPort: number): void;
  /** Proves each member's peer traffic passes through its own proxy; throws when it does not within `timeoutMs`. */
  verify(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface SupervisorExtension {
  /** Control operations added to the supervisor's socket. */
  handlers: Record<string, ControlHandler>;
  /** Starts the peer network of a chaos plan, before any member starts. */
  startNetwork?(plan: ClusterPlan): Promise<PeerNetworkHook>;
  /** Called once the members are starting: loads code off their path. The start waits for it before it reports ready. */
  load?(): Promise<unknown>;
}
