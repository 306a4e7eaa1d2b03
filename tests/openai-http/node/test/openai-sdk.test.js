'use strict';
// The official OpenAI Node SDK against a live daemon's openai.sock, with the key_ref as its API key:
// the two-line switch an existing agent makes (README, "Use it from an existing OpenAI agent").
const test = require('node:test');
const assert = require('node:assert/strict');
const OpenAI = require('openai');
const { Agent } = require('undici');
const { openaiSocket } = require('./socket');

const dispatcher = new Agent({ connect: { socketPath: openaiSocket() } });
test.after(() => dispatcher.close());

/** The README's Node setup. The daemon retries upstream failures itself, so the SDK does not. */
function client(apiKey = 'fake') {
  return new OpenAI({
    baseURL: 'http://localhost/v1',
    apiKey, // the key_ref, never a secret
    maxRetries: 0,
    fetchOptions: { dispatcher },
  });
}

const weather = {
  type: 'function',
  function: {
    name: 'weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

test('unary_readsTheAnswerFinishReasonAndUsage', async () => {
  const completion = await client().chat.completions.create({
    model: 'fake-1',
    messages: [{ role: 'user', content: 'ping' }],
  });

  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.model, 'fake-1');
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.equal(completion.choices[0].message.content, 'fake: ping');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.equal(completion.usage.prompt_tokens, 1);
  assert.equal(completion.usage.completion_tokens, 2);
  assert.equal(completion.usage.total_tokens, 3);
});

test('unary_withResponseHeaders_carriesTheRequestsAnswerAsSent', async () => {
  // withResponse() is how SDK users read headers; the body still parses as a completion.
  const { data, response } = await client().chat.completions
    .create({ model: 'fake-1', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'one ' }, { type: 'text', text: 'two' }] }] })
    .withResponse();

  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  assert.equal(data.choices[0].message.content, 'fake: one two');
});

test('stream_withIncludeUsage_readsDeltasThenFinishThenUsage', async () => {
  const stream = await client().chat.completions.create({
    model: 'fake-1',
    messages: [{ role: 'user', content: 'one two three' }],
    stream: true,
    stream_options: { include_usage: true },
  });

  let text = '';
  const finishes = [];
  const usages = [];
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      if (choice.finish_reason) finishes.push({ at: chunks, reason: choice.finish_reason });
    }
    if (chunk.usage) usages.push({ at: chunks, usage: chunk.usage, choices: chunk.choices.length });
  }

  assert.equal(text, 'fake: one two three');
  assert.deepEqual(finishes.map((f) => f.reason), ['stop']);
  // Usage arrives once, in a last chunk with no choices, after the one with the finish reason.
  assert.equal(usages.length, 1);
  assert.equal(usages[0].at, chunks);
  assert.equal(usages[0].choices, 0);
  assert.ok(finishes[0].at < usages[0].at);
  assert.equal(usages[0].usage.prompt_tokens, 3);
  assert.equal(usages[0].usage.completion_tokens, 4);
  assert.equal(usages[0].usage.total_tokens, 7);
});

test('stream_withoutIncludeUsage_hasNoUsageChunk', async () => {
  const stream = await client().chat.completions.create({
    model: 'fake-1',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });

  let text = '';
  for await (const chunk of stream) {
    assert.equal(chunk.usage ?? null, null);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  assert.equal(text, 'fake: hi');
});

test('toolRoundTrip_callsTheToolThenReadsTheFinalAnswer', async () => {
  const openai = client();
  const messages = [{ role: 'user', content: 'weather in Paris?' }];

  const first = await openai.chat.completions.create({ model: 'fake-tools', messages, tools: [weather], tool_choice: 'auto' });
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  const message = first.choices[0].message;
  assert.equal(message.tool_calls.length, 1);
  const call = message.tool_calls[0];
  assert.equal(call.id, 'call_1');
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  // An agent sends the SDK's assistant message back as it came, then the tool's result.
  messages.push(message);
  messages.push({ role: 'tool', tool_call_id: call.id, content: 'sunny' });
  const second = await openai.chat.completions.create({ model: 'fake-tools', messages, tools: [weather], tool_choice: 'auto' });

  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.equal(second.choices[0].message.content, 'tool call_1 said: sunny');
});

test('toolRoundTrip_streamed_mergesToolCallDeltasByIndex', async () => {
  const openai = client();
  const messages = [{ role: 'user', content: 'weather in Paris?' }];
  const stream = await openai.chat.completions.create({ model: 'fake-tools', messages, tools: [weather], stream: true });

  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      for (const delta of choice.delta.tool_calls ?? []) {
        calls[delta.index] ??= { id: '', name: '', arguments: '' };
        calls[delta.index].id += delta.id ?? '';
        calls[delta.index].name += delta.function?.name ?? '';
        calls[delta.index].arguments += delta.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
  }

  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].id, 'call_1');
  assert.equal(calls[0].name, 'weather');
  assert.deepEqual(JSON.parse(calls[0].arguments), { city: 'Paris' });
});

// An assert.rejects validator: the SDK's error class for the status, the OpenAI error type, the sidecar's
// reason in x-sidecar-reason and, lower-cased, as the error code; then any further checks.
function sidecarError(ErrorClass, status, type, reason, more = () => {}) {
  return (err) => {
    assert.ok(err instanceof ErrorClass, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, status);
    assert.equal(err.code, reason.toLowerCase());
    assert.equal(err.type, type);
    assert.equal(err.headers.get('x-sidecar-reason'), reason);
    more(err);
    return true;
  };
}

test('unknownKeyRef_raisesTheSdksNotFoundError', async () => {
  await assert.rejects(
    client('nobody').chat.completions.create({ model: 'fake-1', messages: [{ role: 'user', content: 'hi' }] }),
    sidecarError(OpenAI.NotFoundError, 404, 'invalid_request_error', 'KEY_REF_NOT_FOUND'),
  );
});

test('upstreamRateLimit_raisesTheSdksRateLimitErrorWithRetryAfter', async () => {
  // The fake upstream asks for 2 s, over the daemon's MaxRetryAfter (1 s in with-daemon.sh): the daemon
  // hands the 429 back at once instead of waiting, so this is one deterministic attempt.
  await assert.rejects(
    client().chat.completions.create({ model: 'fake-429', messages: [{ role: 'user', content: 'hi' }] }),
    sidecarError(OpenAI.RateLimitError, 429, 'rate_limit_error', 'UPSTREAM_RATE_LIMITED', (err) => {
      assert.equal(err.headers.get('retry-after'), '2');
    }),
  );
});

test('refusedField_raisesTheSdksBadRequestErrorNamingIt', async () => {
  await assert.rejects(
    client().chat.completions.create({ model: 'fake-1', messages: [{ role: 'user', content: 'hi' }], logprobs: true }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'logprobs');
      assert.match(err.message, /logprobs/);
      return true;
    },
  );
});

test('models_list_keyRefWithoutAllowList_listsTheUpstreamsModels', async () => {
  const ids = [];
  for await (const model of client().models.list()) {
    assert.equal(model.object, 'model');
    ids.push(model.id);
  }
  // The fake upstream offers these two; the key ref "fake" has no allow-list or aliases of its own.
  assert.deepEqual(ids.sort(), ['fake-1', 'fake-tools']);
});
