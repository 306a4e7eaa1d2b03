'use strict';
// The client against an in-process fake sidecar on a real Unix socket.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { connect, AbortError, SidecarClient, SidecarError, accumulate, status } = require('..');
const { startFakeSidecar, errorWithDetails } = require('../testing/fake-sidecar');

const request = { keyRef: 'echo', model: 'm', messages: [{ role: 'ROLE_USER', content: 'hi' }] };

/** Runs body with a fake sidecar and a connected client, then closes both. */
async function withSidecar(handlers, body, options = {}) {
  const fake = await startFakeSidecar(handlers);
  let client;
  try {
    client = await connect(fake.socketPath, { readyTimeoutMs: 5000, ...options });
    await body(client, fake);
  } finally {
    client?.close();
    fake.stop();
  }
}

test('connect_healthNotServingAtFirst_resolvesOnceServing', async () => {
  let checks = 0;
  const seen = [];
  const check = (call, callback) => {
    checks += 1;
    seen.push(call.request.service);
    callback(null, { status: checks < 3 ? 'NOT_SERVING' : 'SERVING' });
  };
  await withSidecar({ check }, async () => {
    assert.equal(checks, 3);
    assert.deepEqual(new Set(seen), new Set(['sidecar.v1.Completions']));
  });
});

test('connect_neverServing_rejectsWithDeadlineExceeded', async () => {
  const fake = await startFakeSidecar({ check: (_call, callback) => callback(null, { status: 'NOT_SERVING' }) });
  try {
    await assert.rejects(connect(fake.socketPath, { readyTimeoutMs: 300 }), (err) => {
      assert.ok(err instanceof SidecarError);
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      assert.match(err.message, /NOT_SERVING/);
      return true;
    });
  } finally {
    fake.stop();
  }
});

test('connect_noSocket_rejectsWithDeadlineExceededNamingThePath', async () => {
  const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-node-test-')), 'none.sock');
  await assert.rejects(connect(missing, { readyTimeoutMs: 300 }), (err) => {
    assert.equal(err.code, status.DEADLINE_EXCEEDED);
    assert.ok(err.message.includes(missing), err.message);
    return true;
  });
});

test('connect_socketFromEnvironment_isUsed', async () => {
  const fake = await startFakeSidecar({});
  const saved = process.env.SIDECAR_SOCKET;
  process.env.SIDECAR_SOCKET = fake.socketPath;
  let client;
  try {
    client = await connect(undefined, { readyTimeoutMs: 5000 });
    assert.equal(client.socketPath, fake.socketPath);
  } finally {
    if (saved === undefined) delete process.env.SIDECAR_SOCKET;
    else process.env.SIDECAR_SOCKET = saved;
    client?.close();
    fake.stop();
  }
});

test('complete_ok_sendsRequestAndReturnsResponse', async () => {
  let received;
  const complete = (call, callback) => {
    received = call.request;
    callback(null, {
      id: 'c1',
      model: 'm',
      message: { role: 'ROLE_ASSISTANT', content: 'hello' },
      finishReason: 'FINISH_REASON_STOP',
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    });
  };
  await withSidecar({ complete }, async (client) => {
    const response = await client.complete({
      ...request,
      temperature: 0.5,
      seed: '42',
      toolChoice: { functionName: 'f' },
      metadata: { team: 'a' },
    });

    assert.equal(response.message.content, 'hello');
    assert.equal(response.message.role, 'ROLE_ASSISTANT');
    assert.equal(response.finishReason, 'FINISH_REASON_STOP');
    assert.deepEqual(response.usage, {
      promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedPromptTokens: 0, reasoningTokens: 0,
    });
    assert.equal(received.keyRef, 'echo');
    assert.equal(received.messages[0].role, 'ROLE_USER');
    assert.equal(received.temperature, 0.5);
    assert.equal(received.seed, '42');
    assert.equal(received.toolChoice.functionName, 'f');
    assert.deepEqual(received.metadata, { team: 'a' });
  });
});

test('complete_noDeadlineGiven_getsTheDefaultDeadline', async () => {
  let deadline;
  const complete = (call, callback) => {
    deadline = call.getDeadline();
    callback(null, {});
  };
  await withSidecar({ complete }, async (client) => {
    await client.complete(request);
    const ms = Number(deadline); // grpc-js gives a Date or epoch milliseconds
    assert.ok(Number.isFinite(ms), `deadline was ${deadline}`);
    assert.ok(ms > Date.now() + 30_000, 'the 2-minute default, not a short one');
  });
});

test('complete_defaultDeadlineOff_sendsNoDeadline', async () => {
  let deadline;
  const complete = (call, callback) => {
    deadline = call.getDeadline();
    callback(null, {});
  };
  await withSidecar({ complete }, async (client) => {
    await client.complete(request);
    assert.equal(deadline, Infinity);
  }, { defaultDeadlineMs: 0 });
});

test('complete_serverHangsPastTimeout_rejectsWithDeadlineExceeded', async () => {
  await withSidecar({ complete: () => {} }, async (client) => {
    await assert.rejects(client.complete(request, { timeoutMs: 100 }), (err) => {
      assert.ok(err instanceof SidecarError);
      assert.equal(err.codeName, 'DEADLINE_EXCEEDED');
      return true;
    });
  });
});

test('complete_errorWithStatusDetails_surfacesReasonAndFieldViolations', async () => {
  const complete = (_call, callback) =>
    callback(errorWithDetails(status.INVALID_ARGUMENT, 'messages: at least one', {
      errorInfo: { reason: 'INVALID_REQUEST', domain: 'sidecar' },
      fieldViolations: [{ field: 'messages', description: 'at least one' }],
    }));
  await withSidecar({ complete }, async (client) => {
    await assert.rejects(client.complete(request), (err) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.equal(err.reason, 'INVALID_REQUEST');
      assert.equal(err.domain, 'sidecar');
      assert.deepEqual(err.fieldViolations.map((v) => v.field), ['messages']);
      assert.equal(err.details, 'messages: at least one');
      return true;
    });
  });
});

test('complete_abortSignal_cancelsTheCallAndRejectsWithAbortError', async () => {
  let started;
  let cancelled;
  const serverSawCall = new Promise((resolve) => { started = resolve; });
  const serverSawCancel = new Promise((resolve) => { cancelled = resolve; });
  const complete = (call) => {
    call.on('cancelled', cancelled);
    started();
  };
  await withSidecar({ complete }, async (client) => {
    const controller = new AbortController();
    const pending = client.complete(request, { signal: controller.signal });
    await serverSawCall;
    controller.abort(new Error('user left'));
    await assert.rejects(pending, (err) => {
      assert.ok(err instanceof AbortError);
      assert.equal(err.name, 'AbortError');
      assert.ok(err instanceof SidecarError); // and what the gRPC call ended with
      assert.equal(err.code, status.CANCELLED);
      assert.equal(err.codeName, 'CANCELLED');
      assert.equal(err.cause.message, 'user left');
      return true;
    });
    await serverSawCancel;
  });
});

test('complete_signalAlreadyAborted_rejectsWithoutCalling', async () => {
  let calls = 0;
  const complete = (_call, callback) => {
    calls += 1;
    callback(null, {});
  };
  await withSidecar({ complete }, async (client) => {
    await assert.rejects(client.complete(request, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await client.complete(request); // the same client still works, and the server counts calls
    assert.equal(calls, 1);
  });
});

test('complete_clientDefaults_fillKeyRefAndModelTheRequestLacks', async () => {
  const seen = [];
  const complete = (call, callback) => {
    seen.push([call.request.keyRef, call.request.model]);
    callback(null, { id: 'c' });
  };
  await withSidecar({ complete }, async (client) => {
    const bare = { messages: [{ role: 'ROLE_USER', content: 'hi' }] };
    await client.complete(bare);
    await client.complete({ ...bare, keyRef: 'team-b', model: 'gpt-y' });

    assert.deepEqual(seen, [['team-a', 'gpt-x'], ['team-b', 'gpt-y']]);
    assert.equal(bare.keyRef, undefined); // the caller's request is not modified
  }, { keyRef: 'team-a', model: 'gpt-x' });
});

test('streamComplete_clientDefaults_fillKeyRefAndModel', async () => {
  let seen;
  const streamComplete = (call) => {
    seen = [call.request.keyRef, call.request.model];
    call.write({ contentDelta: 'ok', finishReason: 'FINISH_REASON_STOP' });
    call.end();
  };
  await withSidecar({ streamComplete }, async (client) => {
    const answer = await accumulate(client.streamComplete({ messages: [{ role: 'ROLE_USER', content: 'hi' }] }));
    assert.equal(answer.message.content, 'ok');
    assert.deepEqual(seen, ['team-a', 'gpt-x']);
  }, { keyRef: 'team-a', model: 'gpt-x' });
});

test('accumulate_toolCallDeltasFromTheServer_mergesThemByIndex', async () => {
  const streamComplete = (call) => {
    call.write({ id: 'c', model: 'm', toolCallDeltas: [{ index: 1, id: 'call_b', name: 'time' }, { index: 0, id: 'call_a', name: 'weather', argumentsDelta: '{"ci' }] });
    call.write({ toolCallDeltas: [{ index: 0, argumentsDelta: 'ty":"Paris"}' }, { index: 1, argumentsDelta: '{}' }] });
    call.write({ finishReason: 'FINISH_REASON_TOOL_CALLS', usage: { promptTokens: 2, completionTokens: 1, totalTokens: 3 } });
    call.end();
  };
  await withSidecar({ streamComplete }, async (client) => {
    const answer = await accumulate(client.streamComplete(request));

    assert.equal(answer.id, 'c');
    assert.equal(answer.finishReason, 'FINISH_REASON_TOOL_CALLS');
    assert.equal(answer.usage.totalTokens, 3);
    assert.deepEqual(answer.message.toolCalls, [
      { id: 'call_a', name: 'weather', argumentsJson: '{"city":"Paris"}' },
      { id: 'call_b', name: 'time', argumentsJson: '{}' },
    ]);
  });
});

test('connect_signalAbortsTheReadinessWait_rejectsWithAbortError', async () => {
  const fake = await startFakeSidecar({ check: (_call, callback) => callback(null, { status: 'NOT_SERVING' }) });
  try {
    const controller = new AbortController();
    const pending = connect(fake.socketPath, { readyTimeoutMs: 30_000, signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  } finally {
    fake.stop();
  }
});

test('streamComplete_chunks_areYieldedInOrder', async () => {
  const streamComplete = (call) => {
    call.write({ id: 's', contentDelta: 'a ' });
    call.write({ id: 's', contentDelta: 'b' });
    call.write({ id: 's', finishReason: 'FINISH_REASON_STOP', usage: { totalTokens: 2 } });
    call.end();
  };
  await withSidecar({ streamComplete }, async (client) => {
    const chunks = [];
    for await (const chunk of client.streamComplete(request)) chunks.push(chunk);

    assert.equal(chunks.map((c) => c.contentDelta).join(''), 'a b');
    assert.equal(chunks.at(-1).finishReason, 'FINISH_REASON_STOP');
    assert.equal(chunks.at(-1).usage.totalTokens, 2);
    assert.equal(chunks[0].finishReason, 'FINISH_REASON_UNSPECIFIED');
    assert.equal(chunks[0].usage, null);
  });
});

test('streamComplete_errorAfterFirstChunk_throwsSidecarErrorWithReason', async () => {
  const streamComplete = (call) => {
    call.write({ contentDelta: 'partial' });
    call.emit('error', errorWithDetails(status.UNAVAILABLE, 'upstream closed early', {
      errorInfo: { reason: 'UPSTREAM_STREAM_BROKEN', domain: 'sidecar' },
      retryDelay: { seconds: 1 },
    }));
  };
  await withSidecar({ streamComplete }, async (client) => {
    const chunks = [];
    await assert.rejects(
      (async () => { for await (const chunk of client.streamComplete(request)) chunks.push(chunk); })(),
      (err) => {
        assert.ok(err instanceof SidecarError);
        assert.equal(err.code, status.UNAVAILABLE);
        assert.equal(err.reason, 'UPSTREAM_STREAM_BROKEN');
        assert.equal(err.retryDelayMs, 1000);
        return true;
      },
    );
    assert.equal(chunks.length, 1);
  });
});

test('streamComplete_breakOutOfLoop_cancelsTheServerCall', async () => {
  let cancelled;
  const serverSawCancel = new Promise((resolve) => { cancelled = resolve; });
  const streamComplete = (call) => {
    call.on('cancelled', cancelled);
    call.write({ contentDelta: 'first' });
    // Never ends: only the client's cancel finishes this call.
  };
  await withSidecar({ streamComplete }, async (client) => {
    for await (const chunk of client.streamComplete(request)) {
      assert.equal(chunk.contentDelta, 'first');
      break;
    }
    await serverSawCancel;
  });
});

test('streamComplete_abortSignal_cancelsTheCallAndThrowsAbortError', async () => {
  let cancelled;
  const serverSawCancel = new Promise((resolve) => { cancelled = resolve; });
  const streamComplete = (call) => {
    call.on('cancelled', cancelled);
    call.write({ contentDelta: 'one' });
    call.write({ contentDelta: 'two' });
  };
  await withSidecar({ streamComplete }, async (client) => {
    const controller = new AbortController();
    let count = 0;
    await assert.rejects(
      (async () => {
        for await (const _chunk of client.streamComplete(request, { signal: controller.signal })) {
          count += 1;
          if (count === 2) controller.abort();
        }
      })(),
      (err) => err instanceof AbortError,
    );
    assert.equal(count, 2);
    await serverSawCancel;
  });
});

test('streamComplete_signalAlreadyAborted_throwsWithoutCalling', async () => {
  let calls = 0;
  const streamComplete = (call) => {
    calls += 1;
    call.end();
  };
  await withSidecar({ streamComplete }, async (client) => {
    await assert.rejects(
      (async () => { for await (const _chunk of client.streamComplete(request, { signal: AbortSignal.abort() })) { /* none */ } })(),
      { name: 'AbortError' },
    );
    for await (const _chunk of client.streamComplete(request)) { /* none */ }
    assert.equal(calls, 1);
  });
});

test('streamComplete_cancel_stillThrowsSidecarErrorCancelled', async () => {
  const streamComplete = (call) => call.write({ contentDelta: 'one' });
  await withSidecar({ streamComplete }, async (client) => {
    const stream = client.streamComplete(request);
    await assert.rejects(
      (async () => { for await (const _chunk of stream) stream.cancel(); })(),
      (err) => err instanceof SidecarError && err.code === status.CANCELLED,
    );
  });
});

test('sidecarClient_constructor_doesNotWaitAndClosesCleanly', () => {
  const client = new SidecarClient('/nonexistent/sidecar.sock');
  assert.equal(client.socketPath, '/nonexistent/sidecar.sock');
  assert.equal(client.defaultDeadlineMs, 120_000);
  client.close();
});

test('grpcStatusExport_matchesGrpcJs', () => {
  assert.equal(status.NOT_FOUND, grpc.status.NOT_FOUND);
});
