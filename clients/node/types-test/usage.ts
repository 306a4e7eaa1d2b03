// Compiled (not run) by test/types-compile.test.js: index.d.ts must accept what the README shows
// and reject obvious mistakes (the @ts-expect-error lines).
import { connect, accumulate, AbortError, ErrorReason, StreamAccumulator, SidecarError, status, CompleteRequest, CompleteChunk, CompleteResponse, Message, ServedBy, Usage } from '..';

async function main(): Promise<void> {
  const client = await connect(undefined, { readyTimeoutMs: 5000, defaultDeadlineMs: 60_000 });
  try {
    const request: CompleteRequest = {
      keyRef: 'team-a',
      model: 'gpt-4o-mini',
      messages: [
        { role: 'ROLE_SYSTEM', content: 'be brief' },
        { role: 'ROLE_USER', content: 'hello' },
        { role: 'ROLE_ASSISTANT', toolCalls: [{ id: 'call_1', name: 'f', argumentsJson: '{}' }] },
        { role: 'ROLE_TOOL', toolCallId: 'call_1', content: 'done' },
      ],
      temperature: 0.2,
      seed: 7,
      stop: ['\n\n'],
      tools: [{ name: 'f', parametersJsonSchema: '{"type":"object"}' }],
      toolChoice: { mode: 'TOOL_CHOICE_MODE_AUTO' },
      responseFormat: { type: 'RESPONSE_FORMAT_TYPE_JSON_SCHEMA', jsonSchemaName: 'x', jsonSchema: '{}' },
      metadata: { team: 'a' },
    };
    const response: CompleteResponse = await client.complete(request, { timeoutMs: 1000 });
    const text: string = response.message?.content ?? '';
    const usage: Usage | null = response.usage;
    const servedBy: ServedBy | null = response.servedBy;
    const answeredBy: string = servedBy?.keyRef ?? '';
    void text;
    void usage;
    void answeredBy;

    const controller = new AbortController();
    const stream = client.streamComplete(request, { signal: controller.signal, deadline: Date.now() + 5000 });
    for await (const chunk of stream) {
      const c: CompleteChunk = chunk;
      const delta: string = c.contentDelta;
      void delta;
      if (c.finishReason !== 'FINISH_REASON_UNSPECIFIED') break;
    }
    stream.cancel();

    const merged = await accumulate(client.streamComplete(request, { signal: AbortSignal.timeout(5000) }));
    const finalText: string = merged.message.content;
    const accumulator = new StreamAccumulator().add({ id: 'c', model: 'm', contentDelta: 'a', toolCallDeltas: [], finishReason: 'FINISH_REASON_STOP', usage: null, servedBy: null });
    const message: Message = accumulator.finalMessage();
    const streamedBy: ServedBy | null = accumulator.servedBy ?? merged.servedBy;
    void streamedBy;
    void finalText;
    void message;

    const defaults = await connect(undefined, { keyRef: 'team-a', model: 'gpt-4o-mini', signal: controller.signal });
    await defaults.complete({ messages: [{ role: 'ROLE_USER', content: 'hi' }] });
    defaults.close();
  } catch (err) {
    if (err instanceof AbortError) return;
    if (err instanceof SidecarError && err.code === status.RESOURCE_EXHAUSTED) {
      const wait: number = err.retryDelayMs ?? 1000;
      const reason: string | undefined = err.reason;
      if (err.reason === ErrorReason.BUDGET_EXHAUSTED || !err.retryable) return;
      const shared: 'SHARED_LIMIT' = ErrorReason.SHARED_LIMIT;
      void shared;
      const fields: string[] = err.fieldViolations.map((v) => v.field);
      void wait;
      void reason;
      void fields;
    }
  } finally {
    client.close();
  }
}

// @ts-expect-error keyRef is a string
const missingKeyRef: CompleteRequest = { keyRef: 5, model: 'm', messages: [] };
// @ts-expect-error not a role
const badRole: CompleteRequest = { keyRef: 'k', model: 'm', messages: [{ role: 'ROLE_BOSS' }] };
// @ts-expect-error a tool choice is a mode or a function name, not both
const bothChoices: CompleteRequest = { keyRef: 'k', model: 'm', messages: [], toolChoice: { mode: 'TOOL_CHOICE_MODE_AUTO', functionName: 'f' } };
// @ts-expect-error not a reason of the contract
const noSuchReason = ErrorReason.NO_SUCH_REASON;
void noSuchReason;
void missingKeyRef;
void badRole;
void bothChoices;
void main;
