import type { CallPlan, Execution } from './plan';
import { answerOf, send } from './send';
import { settlementOf } from './write-rules';

/** A read or a list: sent, repeated by the retry policy as often as the budget allows, mapped. */
export async function read(plan: CallPlan): Promise<Execution> {
  const exchange = await send(plan);
  const settlement = settlementOf('GET', exchange, undefined, plan.inDoubtWindowMs, plan.clock.now());
  return { response: await answerOf(plan, exchange), settlement, exchange };
}
