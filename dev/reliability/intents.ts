import { randomBytes } from 'node:crypto';

import { SEEDED_IDS } from '../graph-emulator/state';
import type { CallerKind, Seen } from './callers';

/** One write a caller means to make, sent with the same Idempotency-Key on every retry. */
export interface Intent {
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly key: string;
  /** A check of Graph's final state that the write took effect. */
  readonly resource: string;
}

/**
 * A caller's writes: it creates user statuses and updates two summaries of its own parents, in
 * turn. Its callers are applications and key holders: the install summary's update, which Graph
 * takes only from signed-in users, is not theirs to make.
 */
export function intentsOf(caller: number, count: number): Intent[] {
  return Array.from({ length: count }, (_, step): Intent => {
    const key = `run-${caller}-${step}-${randomBytes(4).toString('hex')}`;
    switch (step % 3) {
      case 0:
        return {
          method: 'POST',
          path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`,
          body: { userPrincipalName: `caller${caller}.step${step}@contoso.example`, status: 'compliant', devicesCount: step },
          key,
          resource: `status:caller${caller}.step${step}@contoso.example`,
        };
      case 1:
        return {
          method: 'PATCH',
          path: `mobile-app-configurations/configuration-${caller}/user-status-summary`,
          body: { pendingCount: step },
          key,
          resource: `summary:${caller}`,
        };
      default:
        return {
          method: 'PATCH',
          path: `device-compliance-policies/policy-${caller}/user-status-overview`,
          body: { successCount: step },
          key,
          resource: `overview:${caller}`,
        };
    }
  });
}

/** How one caller action ended: its caller's answers, and the app's final answer for it. */
export interface Outcome {
  readonly intent: Intent;
  readonly kind: CallerKind;
  readonly seen: readonly Seen[];
  /** The caller's last answer, or, for a caller that took a 202 as delivered, the answer its Location ended with. */
  readonly final: Seen;
}
