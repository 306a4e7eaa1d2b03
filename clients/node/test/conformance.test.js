'use strict';
// The shared conformance cases (tests/conformance/cases.json) against a live daemon at
// $SIDECAR_SOCKET (tests/conformance/with-daemon.sh starts one). Without SIDECAR_SOCKET the
// cases are skipped, or fail when SIDECAR_CONFORMANCE_REQUIRED=1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { connect, SidecarError } = require('..');

const casesPath =
  process.env.SIDECAR_CONFORMANCE_CASES || path.resolve(__dirname, '..', '..', '..', 'tests', 'conformance', 'cases.json');
const socketPath = process.env.SIDECAR_SOCKET;
const required = process.env.SIDECAR_CONFORMANCE_REQUIRED === '1';
const file = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
const cases = file.cases ?? [];

// Unknown keys fail loudly: a new kind of expectation must not be silently ignored.
const FILE_KEYS = ['comment', 'cases'];
const CASE_KEYS = ['name', 'comment', 'rpc', 'request', 'expect', 'deadlineMs', 'cancelAfterChunks', 'cancelAfterMs', 'readiness'];
const EXPECT_KEYS = ['text', 'minChunks', 'finishReason', 'usage', 'toolCalls', 'code', 'reason', 'fieldViolation', 'retryDelayMs', 'notReady', 'servedBy'];
const SERVED_BY_KEYS = ['keyRef', 'model', 'attempts', 'cached'];
const READINESS_KEYS = ['socketAppearsAfterMs', 'readyTimeoutMs'];

function unknownKeys(object, known) {
  return Object.keys(object ?? {}).filter((k) => !known.includes(k));
}

/** Every problem with the shape of one case (empty when the runner understands all of it). */
function caseProblems(c) {
  const problems = [];
  const unknown = [
    ...unknownKeys(c, CASE_KEYS),
    ...unknownKeys(c.expect, EXPECT_KEYS).map((k) => `expect.${k}`),
    ...unknownKeys(c.readiness, READINESS_KEYS).map((k) => `readiness.${k}`),
  ];
  if (unknown.length > 0) problems.push(`fields this runner does not know: ${unknown.join(', ')}`);
  if (!['Complete', 'StreamComplete'].includes(c.rpc)) problems.push(`unknown rpc ${c.rpc}`);
  if (!c.expect || Object.keys(c.expect).length === 0) problems.push('expects nothing');
  const e = c.expect ?? {};
  if (c.cancelAfterChunks && c.rpc !== 'StreamComplete') problems.push('cancelAfterChunks on a unary call');
  if (c.cancelAfterMs && c.rpc !== 'Complete') problems.push('cancelAfterMs on a stream');
  if (e.code && (e.finishReason || e.usage || e.toolCalls || e.servedBy)) problems.push('a failing call has no finishReason, usage, toolCalls or servedBy');
  if (e.servedBy) {
    const keys = Object.keys(e.servedBy);
    if (unknownKeys(e.servedBy, SERVED_BY_KEYS).length > 0 || SERVED_BY_KEYS.some((k) => !keys.includes(k))) {
      problems.push(`servedBy needs exactly ${SERVED_BY_KEYS.join(', ')}`);
    }
  }
  if (!e.code && (e.reason || e.fieldViolation || e.retryDelayMs !== undefined)) problems.push('reason/fieldViolation/retryDelayMs without code');
  if (e.notReady && (!c.readiness || c.readiness.socketAppearsAfterMs)) problems.push('notReady needs readiness without socketAppearsAfterMs');
  if (c.readiness && !(c.readiness.readyTimeoutMs > 0)) problems.push('readiness needs readyTimeoutMs');
  return problems;
}

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

/**
 * Runs one call; resolves with what it produced, in the terms of cases.json. A failed call
 * resolves too, with `error` set (and, for a stream, what arrived before the error).
 */
async function runCase(client, c) {
  const options = c.deadlineMs ? { timeoutMs: c.deadlineMs } : {};
  if (c.rpc === 'Complete') {
    let timer;
    if (c.cancelAfterMs) {
      const controller = new AbortController();
      options.signal = controller.signal;
      timer = setTimeout(() => controller.abort(), c.cancelAfterMs);
    }
    try {
      const response = await client.complete(c.request, options);
      assert.equal(response.message?.role, 'ROLE_ASSISTANT', "contract: the answer's role");
      return {
        text: response.message?.content ?? '',
        contentChunks: 0,
        finishReason: response.finishReason,
        usage: response.usage,
        toolCalls: (response.message?.toolCalls ?? []).map(({ id, name, argumentsJson }) => ({ id, name, argumentsJson })),
        servedBy: response.servedBy,
      };
    } catch (error) {
      return { error, text: '', contentChunks: 0 };
    } finally {
      clearTimeout(timer);
    }
  }
  const chunks = [];
  let error;
  const stream = client.streamComplete(c.request, options);
  try {
    for await (const chunk of stream) {
      const previous = chunks.at(-1);
      if (previous) {
        assert.ok(
          previous.finishReason === 'FINISH_REASON_UNSPECIFIED' && !previous.usage && !previous.servedBy,
          `contract: chunk ${chunks.length} carried finish_reason/usage/served_by but was not the last chunk`,
        );
      }
      chunks.push(chunk);
      if (c.cancelAfterChunks && chunks.length === c.cancelAfterChunks) stream.cancel();
    }
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    error = err;
  }
  if (c.cancelAfterChunks) {
    assert.ok(chunks.length >= c.cancelAfterChunks, `the stream ended after ${chunks.length} chunks, before the client could cancel`);
  }
  const last = chunks.at(-1);
  return {
    error,
    text: chunks.map((ch) => ch.contentDelta).join(''),
    contentChunks: chunks.filter((ch) => ch.contentDelta || ch.toolCallDeltas.length > 0).length,
    finishReason: last?.finishReason,
    usage: last?.usage ?? null,
    toolCalls: mergeToolCallDeltas(chunks),
    servedBy: last?.servedBy ?? null,
  };
}

/**
 * A client of its own for a socket path where nothing listens; when `readiness` says so, a link
 * to the daemon's socket appears there after socketAppearsAfterMs. connect()'s readiness wait
 * must ride over the gap (or give up after readyTimeoutMs).
 */
async function connectLate(readiness, dir) {
  const late = path.join(dir, 'late.sock');
  let timer;
  if (readiness.socketAppearsAfterMs) {
    timer = setTimeout(() => fs.symlinkSync(path.resolve(socketPath), late), readiness.socketAppearsAfterMs);
  }
  try {
    return await connect(late, { readyTimeoutMs: readiness.readyTimeoutMs, defaultDeadlineMs: 30_000 });
  } finally {
    clearTimeout(timer);
  }
}

function check(expect, result) {
  if (expect.notReady) {
    assert.ok(result.notReady, 'the readiness wait succeeded; want it to give up');
    return;
  }
  if (result.notReady) throw result.notReady;
  const { error } = result;
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
    if (expect.retryDelayMs !== undefined) {
      assert.equal(error.retryDelayMs, expect.retryDelayMs, `RetryInfo of ${error.message}`);
    }
    // What a stream delivered before it failed.
    if (expect.text !== undefined) assert.equal(result.text, expect.text, 'text before the error');
    if (expect.minChunks !== undefined) {
      assert.ok(result.contentChunks >= expect.minChunks, `${result.contentChunks} chunks before the error < ${expect.minChunks}`);
    }
    return;
  }
  if (error) throw error;
  // The contract, on every answer: served_by names who answered (on a stream, the last chunk).
  // attempts counts the targets tried: at least 1, unless the answer came from the cache.
  const sb = result.servedBy;
  assert.ok(
    sb && sb.keyRef && (sb.attempts >= 1 || sb.cached),
    `contract: the answer's served_by is ${JSON.stringify(sb)}, want a key_ref and attempts >= 1 (unless cached)`,
  );
  if (expect.text !== undefined) assert.equal(result.text, expect.text);
  if (expect.minChunks !== undefined) {
    assert.ok(result.contentChunks >= expect.minChunks, `${result.contentChunks} chunks < ${expect.minChunks}`);
  }
  if (expect.finishReason) assert.equal(result.finishReason, expect.finishReason);
  if (expect.usage) {
    assert.ok(result.usage, 'no usage');
    for (const [key, value] of Object.entries(expect.usage)) {
      assert.ok(key in result.usage, `usage has no field ${key}`);
      assert.equal(result.usage[key], value, `usage.${key}`);
    }
  }
  if (expect.toolCalls) {
    assert.equal(result.toolCalls.length, expect.toolCalls.length, `tool calls ${JSON.stringify(result.toolCalls)}`);
    expect.toolCalls.forEach((want, i) => {
      for (const [key, value] of Object.entries(want)) {
        const got = result.toolCalls[i][key];
        if (key === 'argumentsJson') assert.deepEqual(JSON.parse(got), JSON.parse(value), `toolCalls[${i}].${key}`);
        else assert.equal(got, value, `toolCalls[${i}].${key}`);
      }
    });
  }
  if (expect.servedBy) {
    const { keyRef, model, attempts, cached } = result.servedBy;
    assert.deepEqual({ keyRef, model, attempts, cached }, expect.servedBy, 'served_by');
  }
}

test('cases_areWellFormed', () => {
  assert.deepEqual(unknownKeys(file, FILE_KEYS), [], `unknown top-level keys in ${casesPath}`);
  assert.ok(cases.length > 0, `no cases in ${casesPath}`);
  const names = cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'case names must be unique');
  for (const c of cases) assert.deepEqual(caseProblems(c), [], `case ${c.name}`);
});

test('conformance', async (t) => {
  if (!needDaemon(t)) return;
  assert.ok(cases.length > 0, `no cases in ${casesPath}`);
  const client = await connect(socketPath, { readyTimeoutMs: 30_000, defaultDeadlineMs: 30_000 });
  try {
    for (const c of cases) {
      await t.test(c.name, async () => {
        assert.deepEqual(caseProblems(c), [], 'a case this runner does not understand');
        if (!c.readiness) {
          check(c.expect, await runCase(client, c));
          return;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-conformance-'));
        try {
          let own;
          try {
            own = await connectLate(c.readiness, dir);
          } catch (notReady) {
            check(c.expect, { notReady });
            return;
          }
          try {
            check(c.expect, await runCase(own, c));
          } finally {
            own.close();
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
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
