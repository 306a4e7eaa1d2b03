// The package as an ES module: named imports through the "exports" map, at run time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import sidecar, {
  connect, SidecarClient, SidecarError, ErrorReason, AbortError, StreamAccumulator, accumulate,
  resolveSocketPath, decodeStatusDetails, DEFAULT_SOCKET_PATH, status,
} from '@sidecar/client';

const require = createRequire(import.meta.url);
const { startFakeSidecar } = require('../testing/fake-sidecar.js');

test('esm_namedImports_areTheCommonJsExports', () => {
  const cjs = require('@sidecar/client');
  const named = { connect, SidecarClient, SidecarError, ErrorReason, AbortError, StreamAccumulator, accumulate, resolveSocketPath, decodeStatusDetails, DEFAULT_SOCKET_PATH, status };

  assert.deepEqual(Object.keys(named).sort(), Object.keys(cjs).sort()); // every export, no more
  for (const [name, value] of Object.entries(named)) assert.equal(value, cjs[name], name);
  assert.equal(sidecar, cjs);
});

test('esm_callThroughNamedImports_completesAndFailsWithSidecarError', async () => {
  const complete = (call, callback) =>
    call.request.model === 'bad'
      ? callback({ code: status.INVALID_ARGUMENT, details: 'bad model' })
      : callback(null, { id: 'c', message: { role: 'ROLE_ASSISTANT', content: `to ${call.request.keyRef}` } });
  const fake = await startFakeSidecar({ complete });
  const client = await connect(fake.socketPath, { readyTimeoutMs: 5000, keyRef: 'team-a', model: 'm' });
  try {
    const response = await client.complete({ messages: [{ role: 'ROLE_USER', content: 'hi' }] });
    assert.equal(response.message.content, 'to team-a');
    await assert.rejects(client.complete({ model: 'bad', messages: [] }), (err) => err instanceof SidecarError && err.code === status.INVALID_ARGUMENT);
  } finally {
    client.close();
    fake.stop();
  }
});
