// A small agent, written from clients/node/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET. An ES module: the named
// exports of the installed package must resolve at run time.
import { accumulate, connect, SidecarError } from '@sidecar/client';

const user = (content) => ({ role: 'ROLE_USER', content });

const client = await connect(undefined, { keyRef: 'echo', model: 'echo-1' });
try {
  // 1. Unary
  const answer = await client.complete({ messages: [user('hello sidecar')] });
  console.log('unary:', answer.message.content);

  // 2. Stream
  const streamed = await accumulate(client.streamComplete({ messages: [user('one two three')] }));
  if (streamed.finishReason === 'FINISH_REASON_STOP') console.log('stream:', streamed.message.content);

  // 3. Tool round trip
  const request = {
    keyRef: 'fake',
    model: 'fake-tools',
    messages: [user('weather in Paris?')],
    tools: [{ name: 'get_weather', description: 'Current weather', parametersJsonSchema: '{"type":"object","properties":{"city":{"type":"string"}}}' }],
  };
  const first = await client.complete(request);
  const results = first.message.toolCalls.map((call) => ({
    role: 'ROLE_TOOL',
    toolCallId: call.id,
    content: `sunny in ${JSON.parse(call.argumentsJson).city}`,
  }));
  const final = await client.complete({ ...request, messages: [...request.messages, first.message, ...results] });
  console.log('tool:', final.message.content);

  // 4. An error and its reason
  try {
    await client.complete({ keyRef: 'no-such-key', messages: [user('hi')] });
    throw new Error('the call succeeded');
  } catch (err) {
    if (!(err instanceof SidecarError)) throw err;
    console.log('error:', err.reason);
  }
} finally {
  client.close();
}
