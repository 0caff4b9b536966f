import { Chaos, CHAOS_OFF, type QueuedFault } from './faults';
import { GraphState } from './state';
import { emptyStats, type EmulatorStats, type RequestOutcome } from './stats';
import { INTUNE_THROTTLING, ThrottlingWindows } from './throttling';

/** The roles the emulator's identity holds until a test changes them. */
export const DEFAULT_ROLES = ['DeviceManagementApps.ReadWrite.All', 'DeviceManagementConfiguration.ReadWrite.All'];

/**
 * A Graph request as the emulator received it, recorded once on arrival (throttled and faulted
 * ones too) and completed when answered. Tokens are never recorded, only whether one came and
 * the app it named.
 */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly version: string;
  readonly path: string;
  readonly clientRequestId: string | undefined;
  readonly prefer: string | undefined;
  readonly contentType: string | undefined;
  readonly bearerToken: boolean;
  readonly body: unknown;
  /** The token's `appid`, once the token is checked. */
  appId: string | undefined;
  /**
   * What the token said, once checked (never the token): `idtyp` (`app`, or `user` for a delegated
   * token), the object id it names (`oid`: the app's identity, or the user), and a user's `upn` and `scp`.
   */
  claims: { idtyp: 'app' | 'user'; oid: string; appid: string; upn?: string; scp?: string } | undefined;
  /** How it was answered; `pending` while a delay fault holds it. */
  outcome: RequestOutcome;
  /** Whether Graph applied it: true for a write served normally or by an apply-then fault. */
  applied: boolean;
  /** The delay a fault added, in milliseconds. */
  delayedMs: number;
}

/** How the emulated Graph answers where real Graph has been seen to differ from its docs. */
export interface Behaviour {
  /** PATCH honours `Prefer: return=representation` (200 with the entity); off, it answers 204, as Intune does in practice. */
  honourPrefer: boolean;
  /** The install summary as current beta metadata has it: no `installSummary` navigation (400 for the segment). */
  installSummaryRemoved: boolean;
  /** The install summary's update refused to application identities (403), as its Graph page says (the seed). */
  installSummaryDelegatedOnly: boolean;
}

export const GRAPH_AS_SEEN: Readonly<Behaviour> = {
  honourPrefer: false,
  installSummaryRemoved: false,
  installSummaryDelegatedOnly: true,
};

/** Everything the emulator holds that a test may look at or switch; one per emulator. */
export interface EmulatorRuntime {
  readonly state: GraphState;
  readonly requests: RecordedRequest[];
  readonly faults: QueuedFault[];
  readonly throttling: ThrottlingWindows;
  readonly chaos: Chaos;
  stats: EmulatorStats;
  roles: string[];
  behaviour: Behaviour;
  /** Users (object ids) whose Intune role allows nothing: Graph refuses them whatever their token's scopes. */
  usersWithoutIntuneRole: Set<string>;
}

export function createRuntime(): EmulatorRuntime {
  return {
    state: new GraphState(),
    requests: [],
    faults: [],
    throttling: new ThrottlingWindows(),
    chaos: new Chaos(),
    stats: emptyStats(),
    roles: [...DEFAULT_ROLES],
    behaviour: { ...GRAPH_AS_SEEN },
    usersWithoutIntuneRole: new Set(),
  };
}

/** Back to a fresh emulator: seeded state, default roles, Intune throttling, no faults, no chaos. */
export function resetRuntime(runtime: EmulatorRuntime): void {
  runtime.state.reset();
  runtime.requests.length = 0;
  runtime.faults.length = 0;
  runtime.roles = [...DEFAULT_ROLES];
  runtime.behaviour = { ...GRAPH_AS_SEEN };
  runtime.usersWithoutIntuneRole.clear();
  runtime.throttling.configure(INTUNE_THROTTLING);
  runtime.chaos.configure(CHAOS_OFF);
  runtime.stats = emptyStats();
}
