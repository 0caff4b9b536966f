import * as v from 'valibot';

/**
 * Intune's throttling, as the emulator applies it: sliding windows per app per tenant and per
 * tenant across apps, with writes and all requests counted separately.
 */
export interface ThrottlingSettings {
  readonly enabled: boolean;
  /** Length of the sliding window; fractional values let tests throttle within a second. */
  readonly windowSeconds: number;
  /** POST, PUT, PATCH and DELETE per app per tenant in one window. */
  readonly writesPerApp: number;
  /** Any request per app per tenant in one window. */
  readonly requestsPerApp: number;
  /** Writes per tenant across all apps in one window. */
  readonly writesPerTenant: number;
  /** Any request per tenant across all apps in one window. */
  readonly requestsPerTenant: number;
}

/** Intune's published limits for the applications and device configuration areas. */
export const INTUNE_THROTTLING: ThrottlingSettings = {
  enabled: true,
  windowSeconds: 20,
  writesPerApp: 100,
  requestsPerApp: 1000,
  writesPerTenant: 200,
  requestsPerTenant: 2000,
};

const limit = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)));

/** The body of `PUT /_emulator/throttling`; strict so that a misspelt limit is refused, not ignored. */
const ThrottlingRequestSchema = v.strictObject({
  enabled: v.boolean(),
  windowSeconds: v.optional(v.pipe(v.number(), v.gtValue(0))),
  writesPerApp: limit,
  requestsPerApp: limit,
  writesPerTenant: limit,
  requestsPerTenant: limit,
});

export type ThrottlingRequest = v.InferInput<typeof ThrottlingRequestSchema>;

/**
 * Settings from a control request. Omitted fields take Intune's values rather than the current
 * ones, so that each request describes the whole throttling and no earlier test leaks into it.
 */
export function throttlingSettingsFrom(input: unknown): ThrottlingSettings {
  const parsed = v.safeParse(ThrottlingRequestSchema, input);
  if (!parsed.success) throw new RangeError(`throttling: ${v.summarize(parsed.issues)}`);
  const given = Object.fromEntries(Object.entries(parsed.output).filter(([, value]) => value !== undefined));
  return { ...INTUNE_THROTTLING, ...given };
}

/** Who a request counts against: the token's tenant and app. */
export interface Caller {
  readonly tenantId: string;
  readonly appId: string;
}

export type Admission =
  { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number; readonly exceeded: string };

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Intune counts these methods as writes. */
export const isWriteMethod = (method: string): boolean => WRITE_METHODS.has(method.toUpperCase());

/** Drops the timestamps that have slid out of the window; `timestamps` is in arrival order. */
export function dropExpired(timestamps: number[], windowMs: number, now: number): void {
  while (timestamps.length > 0 && (timestamps[0] as number) <= now - windowMs) timestamps.shift();
}

/**
 * Milliseconds until a window holding `timestamps` (in arrival order, none expired) has room
 * for one more request, 0 if it has room now. A window over its limit (limits were lowered)
 * needs several entries to expire, hence the index.
 */
export function msUntilRoom(timestamps: readonly number[], limit: number, windowMs: number, now: number): number {
  if (timestamps.length < limit) return 0;
  const mustExpire = timestamps[timestamps.length - limit] as number;
  return Math.max(0, mustExpire + windowMs - now);
}

/** A `Retry-After` in whole seconds, never 0: a client told 0 would come straight back. */
export const retryAfterSeconds = (waitMs: number): number => Math.max(1, Math.ceil(waitMs / 1000));

interface WindowRule {
  readonly key: string;
  readonly limit: number;
  readonly description: string;
}

/** The windows a request from `caller` counts against. */
function rulesFor(settings: ThrottlingSettings, caller: Caller, write: boolean): WindowRule[] {
  const perApp = `app ${caller.appId} in tenant ${caller.tenantId}`;
  const perTenant = `tenant ${caller.tenantId}`;
  const window = `${settings.windowSeconds} seconds`;
  const rules: WindowRule[] = [
    {
      key: `requests|${caller.tenantId}|${caller.appId}`,
      limit: settings.requestsPerApp,
      description: `${settings.requestsPerApp} requests per ${window} for ${perApp}`,
    },
    {
      key: `requests|${caller.tenantId}`,
      limit: settings.requestsPerTenant,
      description: `${settings.requestsPerTenant} requests per ${window} for ${perTenant}`,
    },
  ];
  if (write) {
    rules.push(
      {
        key: `writes|${caller.tenantId}|${caller.appId}`,
        limit: settings.writesPerApp,
        description: `${settings.writesPerApp} writes per ${window} for ${perApp}`,
      },
      {
        key: `writes|${caller.tenantId}`,
        limit: settings.writesPerTenant,
        description: `${settings.writesPerTenant} writes per ${window} for ${perTenant}`,
      },
    );
  }
  return rules;
}

/**
 * The sliding windows. A refused request takes no place in any window: it was not served, and
 * counting it would make the Retry-After a lie for a client that honours it.
 */
export class ThrottlingWindows {
  private settings: ThrottlingSettings = INTUNE_THROTTLING;
  private readonly windows = new Map<string, number[]>();

  /** `clock` is monotonic milliseconds, so that a wall-clock jump neither opens nor shuts a window. */
  constructor(private readonly clock: () => number = () => performance.now()) {}

  get current(): ThrottlingSettings {
    return this.settings;
  }

  /** New settings start with empty windows, so that a test's limits apply from its first request. */
  configure(settings: ThrottlingSettings): void {
    this.settings = settings;
    this.windows.clear();
  }

  /** Counts the request in its windows if all have room; otherwise says how long to wait. */
  admit(caller: Caller, method: string): Admission {
    if (!this.settings.enabled) return { admitted: true };
    const now = this.clock();
    const windowMs = this.settings.windowSeconds * 1000;
    const rules = rulesFor(this.settings, caller, isWriteMethod(method));
    let longestWaitMs = 0;
    let exceeded = '';
    for (const rule of rules) {
      const timestamps = this.windowOf(rule.key);
      dropExpired(timestamps, windowMs, now);
      const waitMs = msUntilRoom(timestamps, rule.limit, windowMs, now);
      // The longest wait is the truthful Retry-After: every full window must have room.
      if (waitMs > longestWaitMs) {
        longestWaitMs = waitMs;
        exceeded = rule.description;
      }
    }
    if (exceeded !== '') return { admitted: false, retryAfterSeconds: retryAfterSeconds(longestWaitMs), exceeded };
    for (const rule of rules) this.windowOf(rule.key).push(now);
    return { admitted: true };
  }

  private windowOf(key: string): number[] {
    let timestamps = this.windows.get(key);
    if (!timestamps) {
      timestamps = [];
      this.windows.set(key, timestamps);
    }
    return timestamps;
  }
}
