'use strict';
// The shared conformance cases (tests/conformance/cases.json) against a live daemon at
// $SIDECAR_SOCKET (tests/conformance/with-daemon.sh starts one). Without SIDECAR_SOCKET the
// cases are skipped, or fail when SIDECAR_CONFORMANCE_REQUIRED=1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { connect, SidecarError } = require('..');

const casesPath = path.resolve(__dirname, '..', '..', '..', 'tests', 'conformance', 'cases.json');
const socketPath = process.env.SIDECAR_SOCKET;
const required = process.env.SIDECAR_CONFORMANCE_REQUIRED === '1';
const cases = fs.existsSync(casesPath) ? JSON.parse(fs.readFileSync(casesPath, 'utf8')).cases : [];

/** Skips (or fails, when required) a test that needs the live daemon. */
function needDaemon(t) {
  if (socketPath) return true;
  if (required) assert.fail('SIDECAR_CONFORMANCE_REQUIRED=1 but SIDECAR_SOCKET is not set: no daemon to test against');
  t.skip('SIDECAR_SOCKET is not set (run under tests/conformance/with-daemon.sh)');
  return false;
}

/** Merges streamed tool-call deltas by index into whole calls. */
function mergeToolCallDeltas(chunks) {
  const calls = [];
  for (const chunk of chunks) {
    for (const d of chunk.toolCallDeltas) {
      const call = (calls[d.index] ??= { id: '', name: '', argumentsJson: '' });
      if (d.id) call.id = d.id;
      if (d.name) call.name = d.name;
      call.argumentsJson += d.argumentsDelta;
    }
  }
  return calls.filter(Boolean);
}

async function runCase(client, c) {
  const options = c.deadlineMs ? { timeoutMs: c.deadlineMs } : {};
  if (c.rpc === 'Complete') {
    const response = await client.complete(c.request, options);
    return {
      text: response.message?.content ?? '',
      finishReason: response.finishReason,
      usage: response.usage,
      toolCalls: (response.message?.toolCalls ?? []).map(({ id, name, argumentsJson }) => ({ id, name, argumentsJson })),
    };
  }
  assert.equal(c.rpc, 'StreamComplete', `unknown rpc ${c.rpc}`);
  const chunks = [];
  const stream = client.streamComplete(c.request, options);
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (c.cancelAfterChunks && chunks.length === c.cancelAfterChunks) stream.cancel();
  }
  const last = chunks.at(-1);
  return {
    text: chunks.map((ch) => ch.contentDelta).join(''),
    contentChunks: chunks.filter((ch) => ch.contentDelta || ch.toolCallDeltas.length > 0).length,
    finishReason: last?.finishReason,
    usage: last?.usage ?? null,
    toolCalls: mergeToolCallDeltas(chunks),
  };
}

test('conformance', async (t) => {
  if (!needDaemon(t)) return;
  assert.ok(cases.length > 0, `no cases in ${casesPath}`);
  const client = await connect(socketPath, { readyTimeoutMs: 30_000, defaultDeadlineMs: 30_000 });
  try {
    for (const c of cases) {
      await t.test(c.name, async () => {
        const expect = c.expect;
        let result;
        let error;
        try {
          result = await runCase(client, c);
        } catch (err) {
          error = err;
        }
        if (expect.code) {
          assert.ok(error, `expected ${expect.code}, the call succeeded: ${JSON.stringify(result)}`);
          assert.ok(error instanceof SidecarError, `not a SidecarError: ${error}`);
          assert.equal(error.codeName, expect.code, error.message);
          if (expect.reason) {
            assert.equal(error.reason, expect.reason, error.message);
            assert.equal(error.domain, 'sidecar');
          }
          if (expect.fieldViolation) {
            const fields = error.fieldViolations.map((v) => v.field);
            assert.ok(fields.includes(expect.fieldViolation), `field violations ${JSON.stringify(fields)} lack ${expect.fieldViolation}`);
          }
          return;
        }
        if (error) throw error;
        if (expect.text !== undefined) assert.equal(result.text, expect.text);
        if (expect.minChunks !== undefined) {
          assert.ok(result.contentChunks >= expect.minChunks, `${result.contentChunks} chunks < ${expect.minChunks}`);
        }
        if (expect.finishReason) assert.equal(result.finishReason, expect.finishReason);
        if (expect.usage) {
          assert.ok(result.usage, 'no usage');
          for (const [key, value] of Object.entries(expect.usage)) assert.equal(result.usage[key], value, `usage.${key}`);
        }
        if (expect.toolCalls) assert.deepEqual(result.toolCalls, expect.toolCalls);
      });
    }
  } finally {
    client.close();
  }
});

test('example_streamJs_printsTheEchoedAnswer', async (t) => {
  if (!needDaemon(t)) return;
  const example = path.resolve(__dirname, '..', 'examples', 'stream.js');
  const { stdout } = await new Promise((resolve, reject) =>
    execFile(process.execPath, [example, 'streamed', 'through', 'node'], { timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out }),
    ),
  );
  assert.match(stdout, /^streamed through node\n\[FINISH_REASON_STOP, \d+ tokens\]\n$/);
});
