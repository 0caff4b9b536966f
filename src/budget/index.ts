import type { TokenCredential } from '@azure/identity';

import type { BudgetSettings, IdempotencySettings } from '../config';
import { tableClientFor } from '../storage/table-client';
import type { GraphBudget } from './budget';
import { LocalBudget, UNLIMITED_BUDGET } from './local-budget';
import { TableBudget } from './table-budget';

export type { GraphBudget, RequestKind, Reservation } from './budget';

/** A budget operation must be quick or not happen: no retries inside the client, the fallback takes over. */
const BUDGET_CLIENT_OPTIONS = { retryOptions: { maxRetries: 0 } };

/**
 * The budget the settings ask for. Shared, it lives in the same table service as the
 * Idempotency-Key records (the app's own storage account, reached with its identity).
 */
export function createGraphBudget(
  budget: BudgetSettings,
  storage: IdempotencySettings,
  credential: TokenCredential,
  log: (message: string) => void = console.warn,
): GraphBudget {
  const shapes = { write: budget.writes, read: budget.reads };
  if (budget.mode === 'off') return UNLIMITED_BUDGET;
  if (budget.mode === 'per-instance' || storage.kind === 'memory') return new LocalBudget(shapes, 'per instance, in memory');
  const { client, description } = tableClientFor(storage, budget.tableName, credential, BUDGET_CLIENT_OPTIONS);
  return new TableBudget({ table: client, description, shapes, instanceCap: budget.instanceCap, log });
}
