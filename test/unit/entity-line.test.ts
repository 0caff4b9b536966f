import type { EntityLines, LinePlace, OperationStore } from '../../src/idempotency';
import { type AsyncWriteDependencies, leaveLine, writeMessage } from '../../src/operations/write-queue';
import type { MessageQueue } from '../../src/storage/queue-client';

/** Entity lines in memory, kept as the table keeps them: in the order writes joined. */
function linesInMemory(): EntityLines & { readonly places: Map<string, LinePlace[]> } {
  const places = new Map<string, LinePlace[]>();
  return {
    places,
    join: (entity, id, heldUntilMs) => {
      const line = places.get(entity) ?? [];
      if (!line.some((place) => place.id === id)) line.push(heldUntilMs === undefined ? { id } : { id, heldUntilMs });
      places.set(entity, line);
      return Promise.resolve();
    },
    waiting: (entity) => Promise.resolve(places.get(entity) ?? []),
    leave: (entity, id) => {
      const rest = (places.get(entity) ?? []).filter((place) => place.id !== id);
      places.set(entity, rest);
      return Promise.resolve(rest);
    },
  };
}

function dependencies() {
  const lines = linesInMemory();
  const sent: { text: string; visibilityDelayMs: number | undefined }[] = [];
  const queue: MessageQueue = {
    send: (text, options) => {
      sent.push({ text, visibilityDelayMs: options?.visibilityDelayMs });
      return Promise.resolve();
    },
    approximateLength: () => Promise.resolve(0),
    description: 'in memory',
  };
  const async: AsyncWriteDependencies = {
    operations: {} as OperationStore,
    lines,
    queue,
    queueName: 'graph-writes',
    writeSpacingMs: 210,
  };
  return { async, lines, sent };
}

describe('a write leaving its entity’s line', () => {
  test('wakes the write now first in it at once, so that writes to an entity follow one another without waiting to poll', async () => {
    const { async, lines, sent } = dependencies();
    for (const id of ['first', 'second', 'third']) await lines.join('summary-1', id);
    await leaveLine('summary-1', 'first', async);
    expect(lines.places.get('summary-1')?.map((place) => place.id)).toEqual(['second', 'third']);
    expect(sent).toEqual([{ text: writeMessage('second'), visibilityDelayMs: undefined }]);
  });

  test('wakes nobody when the next place is held by a caller waiting for its write (its call leaves, and wakes, itself)', async () => {
    const { async, lines, sent } = dependencies();
    await lines.join('summary-1', 'first');
    await lines.join('summary-1', 'held', Date.now() + 30_000);
    await lines.join('summary-1', 'third');
    await leaveLine('summary-1', 'first', async);
    expect(sent).toEqual([]);
    await leaveLine('summary-1', 'held', async);
    expect(sent).toEqual([{ text: writeMessage('third'), visibilityDelayMs: undefined }]);
  });

  test('leaving an empty line, or a line it is not in, wakes only the first there is', async () => {
    const { async, lines, sent } = dependencies();
    await leaveLine('summary-1', 'nobody', async);
    expect(sent).toEqual([]);
    await lines.join('summary-2', 'only');
    await leaveLine('summary-2', 'other', async);
    expect(sent).toEqual([{ text: writeMessage('only'), visibilityDelayMs: undefined }]);
  });
});
