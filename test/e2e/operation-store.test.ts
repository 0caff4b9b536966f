import { createAsyncWriteStores, operationIdFor, type OperationRecord } from '../../src/idempotency';
import { testStorage } from '../support/storage';

// The operations table on Azurite, as every instance and worker shares it.
const { operations } = createAsyncWriteStores(
  { tableName: 'unusedkeys', operationsTableName: `operations${Date.now().toString(36)}` },
  { connectionString: testStorage() },
  { getToken: () => Promise.reject(new Error('a connection string needs no token')) },
);

function accepted(): OperationRecord {
  const nowMs = Date.now();
  return {
    id: operationIdFor(undefined),
    state: 'queued',
    write: {
      operationName: 'UpdateMobileAppConfigurationUserStatusSummary',
      params: { configurationId: 'c1' },
      version: 'v1.0',
      body: { pendingCount: 1 },
      clientRequestId: 'r1',
      requestUrl: 'http://localhost/api/x',
      returnMinimal: false,
    },
    fingerprint: 'f',
    acceptedAt: nowMs,
    updatedAt: nowMs,
    runs: 0,
  };
}

test('a finished operation stays finished: a late run that puts it back (a second message, refused by the key) changes nothing', async () => {
  const record = accepted();
  await operations.accept(record);
  await operations.progress(record.id, { state: 'running', runs: 1 });
  const answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"pendingCount":1}' };
  await operations.progress(record.id, { state: 'done', runs: 1, response: answer });
  await operations.progress(record.id, { state: 'waiting', runs: 2, notBeforeMs: Date.now() + 5000 });
  const read = await operations.read(record.id);
  expect(read).toMatchObject({ state: 'done', runs: 1, response: answer });
  expect(read?.notBeforeMs).toBeUndefined();
});

test('progress of an unfinished operation is recorded as it goes', async () => {
  const record = accepted();
  await operations.accept(record);
  await operations.progress(record.id, { state: 'in-doubt', runs: 1, notBeforeMs: 123 });
  expect(await operations.read(record.id)).toMatchObject({ state: 'in-doubt', runs: 1, notBeforeMs: 123 });
});
