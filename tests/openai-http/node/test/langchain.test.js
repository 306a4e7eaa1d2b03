'use strict';
// LangChain JS (@langchain/openai ChatOpenAI) against a live daemon's openai.sock: streaming, and a
// bound tool run to its final answer. ChatOpenAI builds the official OpenAI SDK underneath, so the
// socket goes in through its `configuration` the same way (README, "Use it from an existing OpenAI agent").
const test = require('node:test');
const assert = require('node:assert/strict');
const { Agent } = require('undici');
const { ChatOpenAI } = require('@langchain/openai');
const { HumanMessage } = require('@langchain/core/messages');
const { tool } = require('@langchain/core/tools');
const { openaiSocket } = require('./socket');

const dispatcher = new Agent({ connect: { socketPath: openaiSocket() } });
test.after(() => dispatcher.close());

function chat(model) {
  return new ChatOpenAI({
    model,
    apiKey: 'fake', // the key_ref
    maxRetries: 0, // the daemon retries upstream failures itself
    configuration: { baseURL: 'http://localhost/v1', fetchOptions: { dispatcher } },
  });
}

const calls = [];
const weather = tool(
  async ({ city }) => {
    calls.push(city);
    return `sunny in ${city}`;
  },
  {
    name: 'weather',
    description: 'Weather in a city',
    schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
);

test('stream_concatenatesTheDeltasAndReportsUsage', async () => {
  let message;
  let chunks = 0;
  for await (const chunk of await chat('fake-1').stream([new HumanMessage('one two three')])) {
    chunks += 1;
    message = message === undefined ? chunk : message.concat(chunk);
  }

  assert.ok(chunks > 2, `only ${chunks} chunks: not streamed`);
  assert.equal(message.content, 'fake: one two three');
  assert.equal(message.response_metadata.finish_reason, 'stop');
  // ChatOpenAI asks for stream_options.include_usage; the daemon's last chunk carries it.
  assert.equal(message.usage_metadata.input_tokens, 3);
  assert.equal(message.usage_metadata.output_tokens, 4);
  assert.equal(message.usage_metadata.total_tokens, 7);
});

test('boundTool_streamedCallIsRunThenTheAnswerUsesItsResult', async () => {
  calls.length = 0;
  const model = chat('fake-tools').bindTools([weather]);
  const messages = [new HumanMessage('weather in Paris?')];

  let ai;
  for await (const chunk of await model.stream(messages)) {
    ai = ai === undefined ? chunk : ai.concat(chunk);
  }
  assert.equal(ai.response_metadata.finish_reason, 'tool_calls');
  assert.equal(ai.tool_calls.length, 1);
  assert.equal(ai.tool_calls[0].id, 'call_1');
  assert.equal(ai.tool_calls[0].name, 'weather');
  assert.deepEqual(ai.tool_calls[0].args, { city: 'Paris' });

  // The agent loop: run the tool LangChain parsed, send its ToolMessage back with the AI message.
  messages.push(ai);
  messages.push(await weather.invoke(ai.tool_calls[0]));
  assert.deepEqual(calls, ['Paris']);
  const final = await model.invoke(messages);

  assert.equal(final.content, 'tool call_1 said: sunny in Paris');
  assert.equal(final.response_metadata.finish_reason, 'stop');
  assert.deepEqual(final.tool_calls, []);
});
