import { createOnce } from './create';
import { deleteOnce } from './delete';
import type { CallPlan, Execution } from './plan';
import { read } from './read';
import { update } from './update';
import type { EarlierInDoubt } from './write-rules';

/**
 * Carries out an operation by its kind. Each write step owns what its write means when Graph's
 * answer is uncertain (write-rules.ts decides, doubt.ts tells the caller): a create is looked
 * for before it is sent again, an update or delete is not repeated while an earlier attempt may
 * still land. `earlier` is set when a previous attempt under the same Idempotency-Key left the
 * write in doubt.
 */
export function execute(plan: CallPlan, earlier?: EarlierInDoubt): Promise<Execution> {
  switch (plan.operation.kind) {
    case 'create':
      return createOnce(plan, earlier);
    case 'update':
      return update(plan, earlier);
    case 'delete':
      return deleteOnce(plan, earlier);
    case 'read':
    case 'list':
      return read(plan);
  }
}
