import { waitOutEarlierAttempt, writeAnswerOf } from './doubt';
import type { CallPlan, Execution } from './plan';
import { send } from './send';
import { type EarlierInDoubt, fateOf, isInDoubt, settlementOf } from './write-rules';

/** A DELETE: a 404 after an attempt that may have deleted the item means it is gone, as asked. */
export async function deleteOnce(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const blocked = await waitOutEarlierAttempt(plan, earlier);
  if (blocked) return blocked;
  const exchange = await send(plan);
  const attempts = exchange.attempts;
  const final = attempts.at(-1);
  const doubtBefore = earlier !== undefined || attempts.slice(0, -1).some((attempt) => isInDoubt(fateOf(attempt.ending)));
  if (doubtBefore && final?.ending.kind === 'answer' && final.ending.status === 404) {
    return { response: { status: 204 }, settlement: { kind: 'final' }, exchange, foundEarlierWrite: true };
  }
  const settlement = settlementOf('DELETE', exchange, earlier, plan.inDoubtWindowMs, plan.clock.now());
  return { response: await writeAnswerOf(plan, exchange, settlement), settlement, exchange };
}
