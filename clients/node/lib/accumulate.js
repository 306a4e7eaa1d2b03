'use strict';
// Merges the chunks of a streamed answer into the answer complete() would have given.

/**
 * Collects the chunks of one stream: content, tool calls (their deltas merged by index), and the
 * last chunk's finish reason, usage and servedBy (who answered). finalMessage() / toResponse() refuse an unfinished stream (no chunk with a
 * finish reason yet): the answer would be incomplete.
 */
class StreamAccumulator {
  constructor() {
    this.id = '';
    this.model = '';
    this.finishReason = 'FINISH_REASON_UNSPECIFIED';
    this.usage = null;
    this.servedBy = null;
    this._content = [];
    // Keyed by the delta's index; a Map, so a large index costs no array.
    this._toolCalls = new Map();
  }

  /** Whether the last chunk (the one with a finish reason) has been added. */
  get finished() {
    return this.finishReason !== 'FINISH_REASON_UNSPECIFIED' && this.finishReason !== 0;
  }

  /** The content so far. */
  get content() {
    return this._content.join('');
  }

  /** Adds the next chunk; throws when a chunk arrives after the last one. */
  add(chunk) {
    if (this.finished) throw new Error("a chunk arrived after the stream's last chunk (the one with a finish reason)");
    if (chunk.id) this.id = chunk.id;
    if (chunk.model) this.model = chunk.model;
    if (chunk.contentDelta) this._content.push(chunk.contentDelta);
    for (const delta of chunk.toolCallDeltas ?? []) {
      const index = delta.index ?? 0;
      let call = this._toolCalls.get(index);
      if (!call) {
        call = { id: '', name: '', args: [] };
        this._toolCalls.set(index, call);
      }
      if (delta.id) call.id = delta.id;
      if (delta.name) call.name = delta.name;
      if (delta.argumentsDelta) call.args.push(delta.argumentsDelta);
    }
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.servedBy) this.servedBy = chunk.servedBy;
    if (chunk.finishReason !== undefined) this.finishReason = chunk.finishReason;
    return this;
  }

  /** The tool calls so far, ordered by index: [{ id, name, argumentsJson }]. */
  toolCalls() {
    return [...this._toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({ id: c.id, name: c.name, argumentsJson: c.args.join('') }));
  }

  /** The answer: role ROLE_ASSISTANT, the whole content and the tool calls. */
  finalMessage() {
    if (!this.finished) {
      throw new Error('the stream has not finished (no chunk with a finish reason yet): the answer would be incomplete');
    }
    return { role: 'ROLE_ASSISTANT', content: this.content, name: '', toolCalls: this.toolCalls(), toolCallId: '' };
  }

  /** The answer as complete() returns it: { id, model, message, finishReason, usage, servedBy }. */
  toResponse() {
    const message = this.finalMessage();
    return { id: this.id, model: this.model, message, finishReason: this.finishReason, usage: this.usage, servedBy: this.servedBy };
  }
}

/**
 * Reads a whole stream (e.g. client.streamComplete(...)) and resolves with the merged answer, the
 * shape complete() resolves with. A stream error rejects as the stream does.
 */
async function accumulate(stream) {
  const accumulator = new StreamAccumulator();
  for await (const chunk of stream) accumulator.add(chunk);
  return accumulator.toResponse();
}

module.exports = { StreamAccumulator, accumulate };
