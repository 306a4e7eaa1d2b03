'use strict';
// Runs examples/agent.mjs (ES module, named imports) against the live daemon at $SIDECAR_SOCKET
// (tests/conformance/with-daemon.sh); skipped without one, failed when SIDECAR_CONFORMANCE_REQUIRED=1.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

test('examplesAgent_againstTheEchoKeyRef_doesTheFourTasks', async (t) => {
  if (!process.env.SIDECAR_SOCKET) {
    if (process.env.SIDECAR_CONFORMANCE_REQUIRED === '1') assert.fail('SIDECAR_CONFORMANCE_REQUIRED=1 but SIDECAR_SOCKET is not set');
    t.skip('SIDECAR_SOCKET is not set (run under tests/conformance/with-daemon.sh)');
    return;
  }
  const env = { ...process.env, SIDECAR_KEY_REF: 'echo', SIDECAR_MODEL: 'echo-1' };
  const stdout = await new Promise((resolve, reject) =>
    execFile(process.execPath, [path.join(__dirname, '..', 'examples', 'agent.mjs')], { env, timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  assert.deepEqual(stdout.trim().split('\n'), [
    'unary: Name three rivers. [FINISH_REASON_STOP]',
    'stream: Tell me a story. [FINISH_REASON_STOP, 8 tokens]',
    'tool: get_weather -> sunny (What is the weather in Paris?)',
    'error: NOT_FOUND KEY_REF_NOT_FOUND retry=no',
  ]);
});
