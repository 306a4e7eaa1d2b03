'use strict';
// A small agent, written from clients/node/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET.
const { connect, SidecarError } = require('@sidecar/client');

const user = (content) => ({ role: 'ROLE_USER', content });

async function main() {
  const client = await connect();
  try {
    // 1. Unary
    let resp = await client.complete({ keyRef: 'echo', model: 'echo-1', messages: [user('hello sidecar')] });
    console.log('unary:', resp.message.content);

    // 2. Stream
    let text = '';
    for await (const chunk of client.streamComplete({ keyRef: 'echo', model: 'echo-1', messages: [user('one two three')] })) {
      text += chunk.contentDelta;
      if (chunk.finishReason === 'FINISH_REASON_STOP') console.log('stream:', text);
    }

    // 3. Tool round trip
    const tools = [{
      name: 'get_weather',
      description: 'Current weather',
      parametersJsonSchema: '{"type":"object","properties":{"city":{"type":"string"}}}',
    }];
    const messages = [user('weather in Paris?')];
    resp = await client.complete({ keyRef: 'fake', model: 'fake-tools', messages, tools });
    messages.push(resp.message);
    for (const call of resp.message.toolCalls) {
      const { city } = JSON.parse(call.argumentsJson);
      messages.push({ role: 'ROLE_TOOL', toolCallId: call.id, content: `sunny in ${city}` });
    }
    resp = await client.complete({ keyRef: 'fake', model: 'fake-tools', messages, tools });
    console.log('tool:', resp.message.content);

    // 4. An error and its reason
    try {
      await client.complete({ keyRef: 'no-such-key', model: 'm', messages: [user('hi')] });
      throw new Error('the call succeeded');
    } catch (err) {
      if (!(err instanceof SidecarError)) throw err;
      console.log('error:', err.reason);
    }
  } finally {
    client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
