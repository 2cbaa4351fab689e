import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { ApiClient } from '../../src/cli/client.ts';
import { errorFromResponse, formatError } from '../../src/cli/status.ts';

test('a NotFound Status prints like kubectl, plus the Switchyard code', () => {
  const body = JSON.stringify({
    kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404,
    message: 'inferenceservices.serving.kserve.io "x" not found', errorCode: 'SY_ERR_NOT_FOUND',
    details: { name: 'x', group: 'serving.kserve.io', kind: 'inferenceservices' },
  });
  const err = errorFromResponse(404, body);
  assert.equal(err.code, 'SY_ERR_NOT_FOUND');
  assert.equal(formatError(err), 'Error from server (NotFound): inferenceservices.serving.kserve.io "x" not found (SY_ERR_NOT_FOUND)');
});

test('field causes missing from the message are listed under it', () => {
  const body = JSON.stringify({
    kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, errorCode: 'SY_ERR_INVALID',
    message: 'InferenceService.serving.kserve.io "x" is invalid',
    details: { causes: [{ field: 'spec.predictor.canaryTrafficPercent', message: 'must be between 0 and 100', reason: 'FieldValueInvalid' }] },
  });
  assert.equal(
    formatError(errorFromResponse(422, body)),
    'Error from server (Invalid): InferenceService.serving.kserve.io "x" is invalid (SY_ERR_INVALID)\n  * spec.predictor.canaryTrafficPercent: must be between 0 and 100',
  );
});

test('a body that is not a Status still yields a code from the HTTP status', () => {
  const err = errorFromResponse(403, 'forbidden by proxy');
  assert.equal(err.code, 'SY_ERR_FORBIDDEN');
  assert.equal(formatError(err), 'Error from server (Forbidden): forbidden by proxy (SY_ERR_FORBIDDEN)');
  assert.equal(errorFromResponse(409, JSON.stringify({ kind: 'Status', errorCode: 'SY_ERR_NOT_A_CODE', message: 'm', reason: 'Conflict' })).code, 'SY_ERR_CONFLICT');
});

test('connection refused names the server and suggests switchyard up', async () => {
  // A port that was just free: nothing listens there any more.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const client = new ApiClient({ server: `http://127.0.0.1:${port}` });
  await assert.rejects(client.get('/version'), (err: any) => {
    assert.equal(err.code, 'SY_ERR_CONNECT');
    assert.match(err.message, new RegExp(`http://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.match(err.message, /switchyard up/);
    return true;
  });
});
