#!/usr/bin/env node
// A small agent doing the four things most agents do: one answer, a stream, a tool round trip
// and an error read by its reason.
//
//   SIDECAR_SOCKET=/tmp/sidecar.sock node examples/agent.mjs
//
// SIDECAR_KEY_REF (default "echo", the daemon's built-in echo provider, which calls a required
// tool) and SIDECAR_MODEL (default "echo-1") choose the key reference and the model.
import { connect, accumulate, SidecarError } from '@sidecar/client';

const ask = (content) => ({ messages: [{ role: 'ROLE_USER', content }] });

const client = await connect(undefined, {
  keyRef: process.env.SIDECAR_KEY_REF || 'echo',
  model: process.env.SIDECAR_MODEL || 'echo-1',
});
try {
  // 1. One answer.
  const answer = await client.complete(ask('Name three rivers.'), { signal: AbortSignal.timeout(30_000) });
  console.log(`unary: ${answer.message.content} [${answer.finishReason}]`);

  // 2. A stream, merged.
  const streamed = await accumulate(client.streamComplete(ask('Tell me a story.')));
  console.log(`stream: ${streamed.message.content} [${streamed.finishReason}, ${streamed.usage?.totalTokens} tokens]`);

  // 3. A tool round trip.
  const request = {
    ...ask('What is the weather in Paris?'),
    tools: [{ name: 'get_weather', parametersJsonSchema: '{"type":"object","properties":{"text":{"type":"string"}}}' }],
    toolChoice: { mode: 'TOOL_CHOICE_MODE_REQUIRED' },
  };
  const first = await client.complete(request);
  const results = first.message.toolCalls.map((call) => ({
    role: 'ROLE_TOOL',
    toolCallId: call.id,
    content: `sunny (${JSON.parse(call.argumentsJson).text})`,
  }));
  const final = await client.complete({ ...request, toolChoice: null, messages: [...request.messages, first.message, ...results] });
  console.log(`tool: ${first.message.toolCalls[0].name} -> ${final.message.content}`);

  // 4. An error, read by its reason.
  try {
    await client.complete({ ...ask('hi'), keyRef: 'no-such-key' });
  } catch (err) {
    if (!(err instanceof SidecarError)) throw err;
    console.log(`error: ${err.codeName} ${err.reason} retry=${err.retryDelayMs ?? 'no'}`);
  }
} finally {
  client.close();
}
