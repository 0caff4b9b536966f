import { fillRoute, type Operation, operationNamed } from '../../src/catalog/operations';
import { EXAMPLE_IDS } from '../../src/catalog/resources';
import { MIN_ATTEMPT_MS } from '../../src/graph/retry-policy';
import { type ProblemKind, problemType } from '../../src/http/problem';
import type { HttpAnswer } from '../../src/http/response';
import type { TokenInspector } from '../../src/identity/token-claims';
import type { JsonObject } from '../../src/json';
import { createOnce, MAX_SENDS } from '../../src/operations/create';
import { deleteOnce } from '../../src/operations/delete';
import { graphCallFor } from '../../src/operations/graph-call';
import type { CallPlan, Execution } from '../../src/operations/plan';
import { update } from '../../src/operations/update';
import { validateRequest } from '../../src/operations/validate';
import { type EarlierInDoubt, SETTLE_MS } from '../../src/operations/write-rules';
import {
  answer,
  brokenConnection,
  exchangeOf,
  FakeClock,
  FakeGraph,
  listPage,
  noAnswer,
  noToken,
  type ScriptedAttempt,
  type ScriptedExchange,
  tokenHolding,
} from '../support/fake-graph';

/** Every write starts at this instant of the fake clock. */
const T0 = Date.parse('2025-03-03T09:00:00Z');

/**
 * The two shapes of the time limits that reach every branch of the steps: an in-doubt window
 * longer than the time budget (a write under way cannot be waited out within the call), and a
 * short window within a large budget (it is waited out, then looked for or sent again).
 */
interface Limits {
  readonly name: string;
  readonly inDoubtWindowMs: number;
  readonly budgetMs: number;
}
const WINDOW_OUTLASTS_BUDGET: Limits = { name: 'window outlasts the budget', inDoubtWindowMs: 100_000, budgetMs: 30_000 };
const WINDOW_WITHIN_BUDGET: Limits = { name: 'window within the budget', inDoubtWindowMs: 3_000, budgetMs: 60_000 };

const CREATE = operationNamed('CreateMobileAppConfigurationUserStatus');
const UPDATE = operationNamed('UpdateMobileAppConfigurationUserStatus');
const DELETE = operationNamed('DeleteMobileAppConfigurationUserStatus');
const PARAMS = { configurationId: EXAMPLE_IDS.mobileAppConfiguration, statusId: 'status-1' };
const COLLECTION_PATH = `/deviceAppManagement/mobileAppConfigurations/${PARAMS.configurationId}/userStatuses`;
const ITEM_PATH = `${COLLECTION_PATH}/${PARAMS.statusId}`;

const CREATE_BODY = {
  '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus',
  userDisplayName: 'Adele Vance',
  devicesCount: 2,
  status: 'notApplicable',
  lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
  userPrincipalName: 'adele@contoso.example',
};
const UPDATE_BODY = { devicesCount: 3 };

/** The created item as Graph lists it: its own id, annotations, and the timestamp at another offset. */
const STORED = {
  '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus',
  id: 'status-created',
  userDisplayName: 'Adele Vance',
  devicesCount: 2,
  status: 'notApplicable',
  lastReportedDateTime: '2017-01-01T08:00:17.7769392Z',
  userPrincipalName: 'adele@contoso.example',
};
/** Another user's status in the same collection: a look-up must not take it for the create. */
const OTHER = { ...STORED, id: 'status-other', userPrincipalName: 'megan@contoso.example' };
const UPDATED = { ...STORED, id: PARAMS.statusId, devicesCount: 3 };

const graphError = (code: string) => ({ error: { code, message: `${code} (scripted)` } });

interface PlanOptions {
  readonly limits?: Limits;
  readonly keyed?: boolean;
  readonly returnMinimal?: boolean;
  readonly token?: TokenInspector;
}

/** A plan as the pipeline builds it, from a request that passed validation, on the fake clock and gateway. */
function planFor(operation: Operation, clock: FakeClock, graph: FakeGraph, options: PlanOptions = {}): CallPlan {
  const limits = options.limits ?? WINDOW_OUTLASTS_BUDGET;
  const body: JsonObject | undefined =
    operation.kind === 'create' ? CREATE_BODY : operation.kind === 'update' ? UPDATE_BODY : undefined;
  const valid = validateRequest(operation, PARAMS, new URLSearchParams(), body);
  if (!valid.ok) throw new Error(`the test's request is not valid: ${String(valid.response.body)}`);
  return {
    operation,
    request: valid.value,
    call: graphCallFor(operation, valid.value, { clientRequestId: 'client-request-1' }),
    requestUrl: `https://facade.example/api/${fillRoute(operation.route, PARAMS)}`,
    deadlineMs: clock.now() + limits.budgetMs,
    graph,
    clock,
    inDoubtWindowMs: limits.inDoubtWindowMs,
    keyed: options.keyed ?? true,
    returnMinimal: options.returnMinimal ?? false,
    token: options.token ?? tokenHolding(),
  };
}

type StepName = 'create' | 'update' | 'delete';
const STEPS: Record<StepName, { operation: Operation; run: typeof createOnce }> = {
  create: { operation: CREATE, run: createOnce },
  update: { operation: UPDATE, run: update },
  delete: { operation: DELETE, run: deleteOnce },
};

interface Run {
  readonly execution: Execution;
  readonly clock: FakeClock;
  readonly graph: FakeGraph;
  readonly plan: CallPlan;
}

/** Runs one step against scripted writes and reads, from T0 on the fake clock. */
async function runStep(
  step: StepName,
  script: { writes?: ScriptedExchange[]; reads?: ScriptedExchange[]; earlier?: EarlierInDoubt } & PlanOptions,
): Promise<Run> {
  const clock = new FakeClock(T0);
  const graph = new FakeGraph(clock).scriptWrites(...(script.writes ?? [])).scriptReads(...(script.reads ?? []));
  const plan = planFor(STEPS[step].operation, clock, graph, script);
  const execution = await STEPS[step].run(plan, script.earlier);
  return { execution, clock, graph, plan };
}

/** The JSON an answer carries: the entity, or the problem with its `type` and `detail`. */
const bodyOf = (response: HttpAnswer): Record<string, unknown> =>
  typeof response.body === 'string' ? (JSON.parse(response.body) as Record<string, unknown>) : {};
const problemKindOf = (response: HttpAnswer): unknown => bodyOf(response).type;
const retryAfterMsOf = (response: HttpAnswer): number => Number(response.headers?.['retry-after']) * 1000;

/** A create is never sent again unless a look-up since its last sending read the collection. */
function expectNoBlindResend(graph: FakeGraph): void {
  let sent = false;
  let lookedSince = false;
  for (const call of graph.calls) {
    if (call.method === 'GET') lookedSince = true;
    if (call.method !== 'POST' || call.held) continue;
    if (sent) expect(lookedSince).toBe(true);
    sent = true;
    lookedSince = false;
  }
}

// The rows of the in-doubt rule (test/unit/in-doubt.test.ts), as Graph answers them.
const ENDINGS = [
  ['200', answer(200, STORED)],
  ['201', answer(201, STORED)],
  ['204', answer(204)],
  ['400', answer(400, graphError('BadRequest'))],
  ['404', answer(404, graphError('ResourceNotFound'))],
  ['409', answer(409, graphError('Conflict'))],
  ['412', answer(412, graphError('PreconditionFailed'))],
  ['422', answer(422, graphError('UnprocessableEntity'))],
  ['401', answer(401, graphError('Unauthorized'))],
  ['403', answer(403, graphError('Forbidden'))],
  ['429', answer(429, graphError('TooManyRequests'), '10')],
  ['408', answer(408, graphError('RequestTimeout'))],
  ['500', answer(500, graphError('InternalServerError'))],
  ['501', answer(501, graphError('NotImplemented'))],
  ['503', answer(503, graphError('ServiceUnavailable'))],
  ['507', answer(507, graphError('InsufficientStorage'))],
  ['502', answer(502, graphError('BadGateway'))],
  ['504', answer(504, graphError('GatewayTimeout'))],
  ['a broken connection', brokenConnection],
  ['no answer within the budget', noAnswer],
  ['no token (nothing sent)', noToken],
] as const satisfies readonly (readonly [string, ScriptedAttempt])[];
type EndingName = (typeof ENDINGS)[number][0];

/**
 * What the caller and the key see after one ending. `lookFrom` places a doubt in time: `settled`
 * is SETTLE_MS after Graph's answer (Graph is done with the write), `window` is the in-doubt
 * window after the attempt was sent (it may still be under way). `lookedFor` says when a create's
 * look-up started, on the same terms; the look-up then finds the create.
 */
interface Seen {
  readonly status: number;
  readonly problem?: ProblemKind;
  readonly settlement: 'final' | 'freed' | 'in-doubt';
  readonly lookFrom?: 'settled' | 'window';
  readonly lookedFor?: 'settled' | 'window';
  readonly readBack?: true;
}

const rejected = (status: number): Seen => ({ status, problem: 'graph-rejected', settlement: 'final' });
const REFUSALS = {
  '401': { status: 502, problem: 'graph-permission-missing', settlement: 'freed' },
  '403': { status: 502, problem: 'graph-permission-missing', settlement: 'freed' },
  '429': { status: 429, problem: 'graph-throttled', settlement: 'freed' },
  'no token (nothing sent)': { status: 503, problem: 'token-unavailable', settlement: 'freed' },
} as const satisfies Record<string, Seen>;
const REJECTIONS = {
  '400': rejected(400),
  '404': rejected(404),
  '409': rejected(409),
  '412': rejected(412),
  '422': rejected(422),
};

/** A create Graph answered in doubt and that was found: the found item is the answer. */
const found = (lookedFor: 'settled' | 'window'): Seen => ({ status: 201, settlement: 'final', lookedFor });

const CREATE_WINDOW_OUTLASTS_BUDGET: Record<EndingName, Seen> = {
  '200': { status: 201, settlement: 'final' },
  '201': { status: 201, settlement: 'final' },
  '204': { status: 201, settlement: 'final' },
  ...REJECTIONS,
  ...REFUSALS,
  // Graph is done with it: looked for after SETTLE_MS, within the call.
  '408': found('settled'),
  '500': found('settled'),
  '501': found('settled'),
  '503': found('settled'),
  '507': found('settled'),
  // It may still be under way until the window has passed, after the budget ends: the key stays in doubt.
  '502': { status: 502, problem: 'graph-failed', settlement: 'in-doubt', lookFrom: 'window' },
  '504': { status: 504, problem: 'graph-failed', settlement: 'in-doubt', lookFrom: 'window' },
  'a broken connection': { status: 502, problem: 'graph-unreachable', settlement: 'in-doubt', lookFrom: 'window' },
  'no answer within the budget': { status: 504, problem: 'graph-timeout', settlement: 'in-doubt', lookFrom: 'window' },
};

const CREATE_WINDOW_WITHIN_BUDGET: Record<EndingName, Seen> = {
  ...CREATE_WINDOW_OUTLASTS_BUDGET,
  // The window is waited out within the call, then the create looked for.
  '502': found('window'),
  '504': found('window'),
  'a broken connection': found('window'),
  // A timeout takes the whole budget: no time is left to look.
};

/** The same for PATCH and DELETE but for the success: a PATCH or DELETE in doubt is never looked for. */
const inDoubtWrite = (status: number, problem: ProblemKind, lookFrom: 'settled' | 'window'): Seen => ({
  status,
  problem,
  settlement: 'in-doubt',
  lookFrom,
});
const PATCH_OR_DELETE_DOUBTS = {
  ...REJECTIONS,
  ...REFUSALS,
  // Repeating one Graph is done with, or that never reached it, changes nothing: it may be sent again after SETTLE_MS.
  '408': inDoubtWrite(408, 'graph-rejected', 'settled'),
  '500': inDoubtWrite(502, 'graph-failed', 'settled'),
  '501': inDoubtWrite(502, 'graph-failed', 'settled'),
  '503': inDoubtWrite(503, 'graph-failed', 'settled'),
  '507': inDoubtWrite(502, 'graph-failed', 'settled'),
  '502': inDoubtWrite(502, 'graph-failed', 'settled'),
  '504': inDoubtWrite(504, 'graph-failed', 'settled'),
  'a broken connection': inDoubtWrite(502, 'graph-unreachable', 'settled'),
  // Graph may still be working on it, and a repeat could be undone by its late landing: not before the window.
  'no answer within the budget': inDoubtWrite(504, 'graph-timeout', 'window'),
} as const;

const UPDATE_SEEN: Record<EndingName, Seen> = {
  '200': { status: 200, settlement: 'final' },
  '201': { status: 200, settlement: 'final' },
  // Intune answers 204: the entity is read back so that the answer keeps its shape.
  '204': { status: 200, settlement: 'final', readBack: true },
  ...PATCH_OR_DELETE_DOUBTS,
};

const DELETE_SEEN: Record<EndingName, Seen> = {
  '200': { status: 204, settlement: 'final' },
  '201': { status: 204, settlement: 'final' },
  '204': { status: 204, settlement: 'final' },
  ...PATCH_OR_DELETE_DOUBTS,
};

const EXPECTED: Record<StepName, Record<string, Record<EndingName, Seen>>> = {
  create: {
    [WINDOW_OUTLASTS_BUDGET.name]: CREATE_WINDOW_OUTLASTS_BUDGET,
    [WINDOW_WITHIN_BUDGET.name]: CREATE_WINDOW_WITHIN_BUDGET,
  },
  update: { [WINDOW_OUTLASTS_BUDGET.name]: UPDATE_SEEN, [WINDOW_WITHIN_BUDGET.name]: UPDATE_SEEN },
  delete: { [WINDOW_OUTLASTS_BUDGET.name]: DELETE_SEEN, [WINDOW_WITHIN_BUDGET.name]: DELETE_SEEN },
};

const ROWS = (['create', 'update', 'delete'] as const).flatMap((step) =>
  [WINDOW_OUTLASTS_BUDGET, WINDOW_WITHIN_BUDGET].flatMap((limits) =>
    ENDINGS.map(([ending, attempt]) => ({ step, limits, ending, attempt, seen: EXPECTED[step][limits.name]![ending] })),
  ),
);

describe('every ending of the in-doubt rule, through the create, update and delete steps', () => {
  test.each(ROWS)('$step, $limits.name, after $ending', async ({ step, limits, attempt, seen }) => {
    const lookUp = step === 'create' && seen.lookedFor ? [listPage([OTHER, STORED])] : [];
    const readBack = seen.readBack ? [exchangeOf(answer(200, { '@odata.context': 'scripted', ...UPDATED }))] : [];
    const { execution, clock, graph, plan } = await runStep(step, {
      limits,
      writes: [exchangeOf(attempt)],
      reads: [...lookUp, ...readBack],
    });
    const { response, settlement } = execution;

    expect(response.status).toBe(seen.status);
    if (seen.problem) expect(problemKindOf(response)).toBe(problemType(seen.problem));
    else expect(response.headers?.['content-type'] ?? '').not.toContain('problem');
    expect(settlement.kind).toBe(seen.settlement);

    // One write, whatever the ending: nothing here may be sent twice without a look-up proving it absent.
    const [write] = graph.writesSent;
    expect(graph.writesSent).toHaveLength(1);
    expect(write?.path).toBe(step === 'create' ? COLLECTION_PATH : ITEM_PATH);
    // The gateway is told, per ending, what the rule allows: a create only after a refusal, a
    // PATCH or DELETE unless it may land late.
    const refusal = seen.settlement === 'freed';
    expect(write?.mayRepeat).toEqual([step === 'create' ? refusal : attempt.ending.kind !== 'timeout']);
    expect(graph.unused).toBe(0);

    const sentAtMs = T0;
    const answeredAtMs = write?.endedAtMs ?? Number.NaN;
    // A window already over when Graph answered is over: the time is then now, never earlier.
    const whenMs = (from: 'settled' | 'window') =>
      from === 'settled' ? answeredAtMs + SETTLE_MS : Math.max(answeredAtMs, sentAtMs + limits.inDoubtWindowMs);

    if (settlement.kind === 'in-doubt') {
      expect(seen.lookFrom).toBeDefined();
      expect(settlement.lookFromMs).toBe(whenMs(seen.lookFrom ?? 'settled'));
      // The caller is not told to come back before the write may be looked for or sent again.
      expect(retryAfterMsOf(response)).toBeGreaterThanOrEqual(settlement.lookFromMs - clock.now());
      expect(bodyOf(response).detail).toContain('may have been applied');
    }

    if (step === 'create' && seen.lookedFor) {
      const [lookUpCall] = graph.readsSent;
      expect(lookUpCall).toMatchObject({ method: 'GET', path: COLLECTION_PATH });
      expect(lookUpCall?.startedAtMs).toBe(whenMs(seen.lookedFor));
      // The wait before the look-up is taken on the clock, never slept for real.
      expect(clock.waitedMs).toBe(whenMs(seen.lookedFor) - answeredAtMs);
      expect(execution.foundEarlierWrite).toBe(true);
      expect(bodyOf(response)).toEqual(expect.objectContaining({ id: STORED.id, userPrincipalName: STORED.userPrincipalName }));
      expect(response.headers?.location).toBe(`${plan.requestUrl}/${STORED.id}`);
    } else if (seen.readBack) {
      expect(graph.readsSent).toEqual([expect.objectContaining({ method: 'GET', path: ITEM_PATH })]);
      // The entity as read, without Graph's annotations.
      const { '@odata.type': _annotation, ...entity } = UPDATED;
      expect(bodyOf(response)).toEqual(entity);
    } else {
      expect(graph.readsSent).toHaveLength(0);
      expect(clock.waitedMs).toBe(0);
      expect(execution.foundEarlierWrite).toBeUndefined();
    }
  });
});

describe('a create that may have been applied is looked for, and sent again only when proved absent', () => {
  test('absent after a 503: sent once more, after the look-up', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(503)), exchangeOf(answer(201, STORED))],
      reads: [listPage([OTHER])],
    });
    expect(execution.response.status).toBe(201);
    expect(execution.settlement).toEqual({ kind: 'final' });
    expect(execution.foundEarlierWrite).toBeUndefined();
    expect(graph.calls.map((call) => call.method)).toEqual(['POST', 'GET', 'POST']);
    expectNoBlindResend(graph);
  });

  test('in doubt again and absent again: not sent a third time, and the key is freed', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(503)), exchangeOf(answer(500))],
      reads: [listPage([OTHER]), listPage([OTHER])],
    });
    expect(execution.response.status).toBe(503);
    expect(problemKindOf(execution.response)).toBe(problemType('graph-unreachable'));
    expect(bodyOf(execution.response).detail).toContain('sent twice');
    expect(execution.settlement).toEqual({ kind: 'freed', delayedUntilMs: expect.any(Number) });
    expect(graph.writesSent).toHaveLength(MAX_SENDS);
    expect(graph.calls.map((call) => call.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
    expectNoBlindResend(graph);
  });

  test('the second sending under way is found once its window has passed', async () => {
    const { execution, graph } = await runStep('create', {
      limits: WINDOW_WITHIN_BUDGET,
      writes: [exchangeOf(answer(503)), exchangeOf(answer(504))],
      reads: [listPage([OTHER]), listPage([STORED, OTHER])],
    });
    expect(execution.response.status).toBe(201);
    expect(execution.foundEarlierWrite).toBe(true);
    const [, secondSend] = graph.writesSent;
    const [, secondLookUp] = graph.readsSent;
    expect(secondLookUp?.startedAtMs).toBe((secondSend?.startedAtMs ?? 0) + WINDOW_WITHIN_BUDGET.inDoubtWindowMs);
    expectNoBlindResend(graph);
  });

  test('a look-up Graph does not answer leaves the key in doubt, from the time it was due', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(503))],
      reads: [{ ...exchangeOf(answer(503)), retryAfterMs: 7000 }],
    });
    const answeredAtMs = graph.writesSent[0]?.endedAtMs ?? 0;
    expect(execution.response.status).toBe(503);
    expect(problemKindOf(execution.response)).toBe(problemType('graph-unreachable'));
    expect(execution.response.headers?.['retry-after']).toBe('7');
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: answeredAtMs + SETTLE_MS });
    expect(graph.writesSent).toHaveLength(1);
  });

  test('a throttled look-up says so, with a default wait when Graph gives none', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(500))],
      reads: [exchangeOf(answer(429))],
    });
    expect(execution.response.status).toBe(429);
    expect(problemKindOf(execution.response)).toBe(problemType('graph-throttled'));
    expect(execution.response.headers?.['retry-after']).toBe('5');
    expect(execution.settlement.kind).toBe('in-doubt');
    expect(graph.writesSent).toHaveLength(1);
  });

  test('every page is read before the create is found or proved absent', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(503))],
      reads: [listPage([OTHER], `https://graph.microsoft.com/v1.0${COLLECTION_PATH}?$skiptoken=page-2`), listPage([STORED])],
    });
    expect(execution.response.status).toBe(201);
    expect(graph.readsSent.map((call) => call.skipToken)).toEqual([undefined, 'page-2']);
  });

  test('a page whose nextLink has no cursor proves nothing: the create stays in doubt and is not sent again', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(503))],
      reads: [listPage([OTHER], `https://graph.microsoft.com/v1.0${COLLECTION_PATH}?$top=999`)],
    });
    expect(execution.settlement.kind).toBe('in-doubt');
    expect(graph.writesSent).toHaveLength(1);
  });

  test("Graph's Retry-After on the answer in doubt is waited out before the create is sent again", async () => {
    const { execution, graph, clock } = await runStep('create', {
      writes: [{ ...exchangeOf(answer(503, undefined, '4')), retryAfterMs: 4000 }, exchangeOf(answer(201, STORED))],
      reads: [listPage([])],
    });
    expect(execution.response.status).toBe(201);
    const [lookUp] = graph.readsSent;
    const [, secondSend] = graph.writesSent;
    expect(secondSend?.startedAtMs).toBe((lookUp?.endedAtMs ?? 0) + 4000);
    expect(clock.waitedMs).toBe(SETTLE_MS + 4000);
  });

  test('a Retry-After longer than the budget leaves: proved absent, not sent again, the key freed', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [{ ...exchangeOf(answer(503, undefined, '40')), retryAfterMs: 40_000 }],
      reads: [listPage([])],
    });
    expect(execution.response.status).toBe(503);
    expect(execution.response.headers?.['retry-after']).toBe('40');
    expect(execution.settlement).toEqual({ kind: 'freed', delayedUntilMs: expect.any(Number) });
    expect(graph.writesSent).toHaveLength(1);
  });

  test('a refusal is repeated within the exchange; the answer in doubt that follows is not', async () => {
    const { execution, graph } = await runStep('create', {
      writes: [exchangeOf(answer(429, undefined, '1'), answer(503), answer(201, STORED))],
      reads: [listPage([STORED])],
    });
    const [write] = graph.writesSent;
    expect(write?.mayRepeat).toEqual([true, false]);
    expect(write?.unplayed).toBe(1);
    expect(execution.response.status).toBe(201);
    expect(execution.foundEarlierWrite).toBe(true);
    // Looked for SETTLE_MS after the 503, the one attempt that may have been applied.
    expect(graph.readsSent[0]?.startedAtMs).toBe((write?.endedAtMs ?? 0) + SETTLE_MS);
  });

  test('without an Idempotency-Key, the caller is told to look before sending it again', async () => {
    const { execution } = await runStep('create', { keyed: false, writes: [exchangeOf(noAnswer)] });
    expect(execution.settlement.kind).toBe('in-doubt');
    expect(bodyOf(execution.response).detail).toContain('without an Idempotency-Key');
  });
});

describe('a create an earlier attempt left in doubt is looked for before anything is sent', () => {
  test('found: the earlier write is the answer, replayed, and nothing is sent', async () => {
    const { execution, graph } = await runStep('create', {
      earlier: { lookFromMs: T0 - 1 },
      reads: [listPage([OTHER, STORED])],
    });
    expect(execution.response.status).toBe(201);
    expect(execution.response.headers?.['idempotent-replayed']).toBe('true');
    expect(execution.foundEarlierWrite).toBe(true);
    expect(execution.settlement).toEqual({ kind: 'final' });
    expect(graph.writesSent).toHaveLength(0);
  });

  test('absent: sent, once', async () => {
    const { execution, graph } = await runStep('create', {
      earlier: { lookFromMs: T0 - 1 },
      reads: [listPage([OTHER])],
      writes: [exchangeOf(answer(201, STORED))],
    });
    expect(execution.response.status).toBe(201);
    expect(execution.response.headers?.['idempotent-replayed']).toBeUndefined();
    expect(graph.calls.map((call) => call.method)).toEqual(['GET', 'POST']);
  });

  test('the look-up unfinished: still in doubt from the earlier time, nothing sent', async () => {
    const { execution, graph } = await runStep('create', {
      earlier: { lookFromMs: T0 - 1 },
      reads: [exchangeOf(brokenConnection)],
    });
    expect(execution.response.status).toBe(503);
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: T0 - 1 });
    expect(graph.writesSent).toHaveLength(0);
  });

  test('due within the budget: the wait is taken on the clock, then it is looked for', async () => {
    const lookFromMs = T0 + 2500;
    const { execution, graph, clock } = await runStep('create', {
      limits: WINDOW_WITHIN_BUDGET,
      earlier: { lookFromMs },
      reads: [listPage([STORED])],
    });
    expect(execution.response.status).toBe(201);
    expect(graph.readsSent[0]?.startedAtMs).toBe(lookFromMs);
    expect(clock.waitedMs).toBe(2500);
  });

  test('due later than the budget allows: answered in doubt at once, nothing sent or read', async () => {
    const lookFromMs = T0 + 50_000;
    const { execution, graph, clock } = await runStep('create', { earlier: { lookFromMs } });
    expect(execution.response.status).toBe(503);
    expect(problemKindOf(execution.response)).toBe(problemType('write-in-doubt'));
    expect(execution.response.headers?.['retry-after']).toBe('50');
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs });
    expect(graph.calls).toHaveLength(0);
    expect(clock.waitedMs).toBe(0);
  });
});

describe('an update', () => {
  test('answered 204: read back once, from the item, even with the budget spent', async () => {
    const { execution, graph, plan } = await runStep('update', {
      writes: [exchangeOf({ ...answer(204), durationMs: WINDOW_OUTLASTS_BUDGET.budgetMs })],
      reads: [exchangeOf(answer(200, UPDATED))],
    });
    expect(execution.response.status).toBe(200);
    const [readBack] = graph.readsSent;
    expect(readBack).toMatchObject({ method: 'GET', path: ITEM_PATH });
    expect(readBack?.startedAtMs).toBe(plan.deadlineMs);
    // Two attempts' worth past the spent budget: an applied write deserves its answer.
    expect(readBack?.deadlineMs).toBe(plan.deadlineMs + 2 * MIN_ATTEMPT_MS);
  });

  test('a read-back that fails still answers 204: the update was applied', async () => {
    const { execution } = await runStep('update', {
      writes: [exchangeOf(answer(204))],
      reads: [exchangeOf(answer(503))],
    });
    expect(execution.response).toEqual({ status: 204 });
    expect(execution.settlement).toEqual({ kind: 'final' });
  });

  test.each([
    ['204', answer(204)],
    ['200 with the entity', answer(200, UPDATED)],
  ])('Prefer: return=minimal after %s: 204, nothing read', async (_name, attempt) => {
    const { execution, graph } = await runStep('update', { returnMinimal: true, writes: [exchangeOf(attempt)] });
    expect(execution.response).toEqual({ status: 204 });
    expect(graph.readsSent).toHaveLength(0);
  });

  test.each([
    ['a 503', answer(503)],
    ['a broken connection', brokenConnection],
    ['a 504', answer(504)],
  ])('repeated within the exchange after %s', async (_name, first) => {
    const { execution, graph } = await runStep('update', { writes: [exchangeOf(first, answer(200, UPDATED))] });
    expect(graph.writesSent[0]?.endings).toHaveLength(2);
    expect(execution.response.status).toBe(200);
    expect(execution.settlement).toEqual({ kind: 'final' });
  });

  test('not repeated after a timeout: it may land late, so it is sent again only after the window', async () => {
    const { execution, graph } = await runStep('update', { writes: [exchangeOf(noAnswer, answer(200, UPDATED))] });
    expect(graph.writesSent[0]?.unplayed).toBe(1);
    expect(execution.response.status).toBe(504);
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: T0 + WINDOW_OUTLASTS_BUDGET.inDoubtWindowMs });
    expect(bodyOf(execution.response).detail).toContain('not sooner');
  });

  test('a refusal after an attempt in doubt keeps the doubt', async () => {
    const { execution, graph } = await runStep('update', { writes: [exchangeOf(brokenConnection, answer(429))] });
    expect(execution.response.status).toBe(429);
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: (graph.writesSent[0]?.endedAtMs ?? 0) + SETTLE_MS });
  });
});

describe('a delete', () => {
  test('404 after an attempt in doubt in the same exchange: it is gone, as asked', async () => {
    const { execution } = await runStep('delete', { writes: [exchangeOf(answer(503), answer(404))] });
    expect(execution.response).toEqual({ status: 204 });
    expect(execution.settlement).toEqual({ kind: 'final' });
    expect(execution.foundEarlierWrite).toBe(true);
  });

  test('404 after a broken connection: gone', async () => {
    const { execution } = await runStep('delete', { writes: [exchangeOf(brokenConnection, answer(404))] });
    expect(execution.response.status).toBe(204);
    expect(execution.foundEarlierWrite).toBe(true);
  });

  test('404 after a refusal proves nothing was deleted by this call: passed on', async () => {
    const { execution } = await runStep('delete', { writes: [exchangeOf(answer(429, undefined, '1'), answer(404))] });
    expect(execution.response.status).toBe(404);
    expect(execution.foundEarlierWrite).toBeUndefined();
  });

  test('404 after an earlier attempt left it in doubt: gone', async () => {
    const { execution } = await runStep('delete', { earlier: { lookFromMs: T0 - 1 }, writes: [exchangeOf(answer(404))] });
    expect(execution.response).toEqual({ status: 204 });
    expect(execution.settlement).toEqual({ kind: 'final' });
    expect(execution.foundEarlierWrite).toBe(true);
  });

  test('not repeated after a timeout', async () => {
    const { execution, graph } = await runStep('delete', { writes: [exchangeOf(noAnswer, answer(404))] });
    expect(graph.writesSent[0]?.unplayed).toBe(1);
    expect(execution.response.status).toBe(504);
    expect(execution.settlement.kind).toBe('in-doubt');
  });
});

describe('an update or delete an earlier attempt left under way', () => {
  test.each(['update', 'delete'] as const)('%s, due within the budget: waited out on the clock, then sent', async (step) => {
    const lookFromMs = T0 + 2500;
    const { execution, graph, clock } = await runStep(step, {
      earlier: { lookFromMs },
      writes: [exchangeOf(step === 'update' ? answer(200, UPDATED) : answer(404))],
    });
    expect(graph.writesSent[0]?.startedAtMs).toBe(lookFromMs);
    expect(clock.waitedMs).toBe(2500);
    expect(execution.settlement).toEqual({ kind: 'final' });
    expect(execution.response.status).toBe(step === 'update' ? 200 : 204);
  });

  test.each(['update', 'delete'] as const)('%s, due later than the budget allows: in doubt, nothing sent', async (step) => {
    const lookFromMs = T0 + 50_000;
    const { execution, graph, clock } = await runStep(step, { earlier: { lookFromMs } });
    expect(execution.response.status).toBe(503);
    expect(problemKindOf(execution.response)).toBe(problemType('write-in-doubt'));
    expect(execution.response.headers?.['retry-after']).toBe('50');
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs });
    expect(graph.calls).toHaveLength(0);
    expect(clock.waitedMs).toBe(0);
  });

  test.each(['update', 'delete'] as const)('%s, due already: sent at once', async (step) => {
    const { graph, clock } = await runStep(step, {
      earlier: { lookFromMs: T0 },
      writes: [exchangeOf(step === 'update' ? answer(200, UPDATED) : answer(204))],
    });
    expect(graph.writesSent[0]?.startedAtMs).toBe(T0);
    expect(clock.waitedMs).toBe(0);
  });

  test.each(['update', 'delete'] as const)('%s refused: the earlier doubt is kept', async (step) => {
    const earlier = { lookFromMs: T0 - 1 };
    const { execution } = await runStep(step, { earlier, writes: [exchangeOf(answer(429, undefined, '1'))] });
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: earlier.lookFromMs });
  });

  test.each(['update', 'delete'] as const)('%s in doubt again: the later of the two times', async (step) => {
    const { execution, graph } = await runStep(step, {
      earlier: { lookFromMs: T0 - 1 },
      writes: [exchangeOf(answer(503))],
    });
    expect(execution.settlement).toEqual({ kind: 'in-doubt', lookFromMs: (graph.writesSent[0]?.endedAtMs ?? 0) + SETTLE_MS });
  });
});

describe("Graph's Retry-After on a write left in doubt reaches the caller", () => {
  // The caller is told to come back no sooner than Graph asked, and no sooner than the write may be repeated.
  test.each(['update', 'delete'] as const)('%s answered 503 with Retry-After: 30', async (step) => {
    const { execution } = await runStep(step, {
      writes: [{ ...exchangeOf(answer(503, undefined, '30')), retryAfterMs: 30_000 }],
    });
    expect(execution.settlement.kind).toBe('in-doubt');
    expect(retryAfterMsOf(execution.response)).toBeGreaterThanOrEqual(30_000);
  });

  test.each(['update', 'delete'] as const)('%s: a broken connection, then 429 with Retry-After: 20', async (step) => {
    const { execution } = await runStep(step, {
      writes: [{ ...exchangeOf(brokenConnection, answer(429, undefined, '20')), retryAfterMs: 20_000 }],
    });
    expect(problemKindOf(execution.response)).toBe(problemType('graph-throttled'));
    expect(retryAfterMsOf(execution.response)).toBeGreaterThanOrEqual(20_000);
  });
});

describe('a 403 when the token holds the permission', () => {
  test.each(['create', 'update', 'delete'] as const)('%s: Graph refuses app identities, and the key is freed', async (step) => {
    const { execution } = await runStep(step, {
      token: tokenHolding([STEPS[step].operation.permission]),
      writes: [exchangeOf(answer(403, graphError('Forbidden')))],
    });
    expect(execution.response.status).toBe(502);
    expect(problemKindOf(execution.response)).toBe(problemType('graph-refuses-application-identity'));
    expect(execution.settlement).toEqual({ kind: 'freed' });
  });
});
