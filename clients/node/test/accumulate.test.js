'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { StreamAccumulator, accumulate } = require('..');

const chunk = (fields) => ({ id: '', model: '', contentDelta: '', toolCallDeltas: [], finishReason: 'FINISH_REASON_UNSPECIFIED', usage: null, servedBy: null, ...fields });
const servedBy = { keyRef: 'pool-b', model: 'm-2024', attempts: 2, cached: false };

test('streamAccumulator_contentAndFinish_givesTheFinalMessage', () => {
  const accumulator = new StreamAccumulator()
    .add(chunk({ id: 'c', model: 'm', contentDelta: 'Hello ' }))
    .add(chunk({ contentDelta: 'world' }))
    .add(chunk({ finishReason: 'FINISH_REASON_STOP', usage: { totalTokens: 4 }, servedBy }));

  assert.deepEqual(accumulator.toResponse(), {
    id: 'c',
    model: 'm',
    message: { role: 'ROLE_ASSISTANT', content: 'Hello world', name: '', toolCalls: [], toolCallId: '' },
    finishReason: 'FINISH_REASON_STOP',
    usage: { totalTokens: 4 },
    servedBy,
  });
  assert.deepEqual(accumulator.servedBy, servedBy);
});

test('streamAccumulator_unfinished_refusesTheFinalMessage', () => {
  const accumulator = new StreamAccumulator().add(chunk({ contentDelta: 'partial' }));

  assert.throws(() => accumulator.finalMessage(), /not finished/);
  assert.equal(accumulator.content, 'partial');
  assert.equal(accumulator.finished, false);
  assert.equal(accumulator.servedBy, null);
});

test('streamAccumulator_chunkAfterTheLast_throws', () => {
  const accumulator = new StreamAccumulator().add(chunk({ finishReason: 'FINISH_REASON_LENGTH' }));

  assert.throws(() => accumulator.add(chunk({ contentDelta: 'more' })), /after the stream's last chunk/);
});

test('accumulate_streamEndsWithoutFinishReason_rejects', async () => {
  async function* cut() {
    yield chunk({ contentDelta: 'a' });
  }
  await assert.rejects(accumulate(cut()), /not finished/);
});
