// Hand-written types for @sidecar/client. They mirror proto/sidecar/v1/completions.proto;
// test/types-drift.test.js fails when a field of the proto is missing here.
//
// Field names are lowerCamelCase (the protobuf JSON mapping), enums are their names, and in
// answers every scalar field is present (its default value when the daemon did not set it)
// while an absent message field is null.

import type { ChannelOptions, Metadata, status as GrpcStatus } from '@grpc/grpc-js';

// ---------------------------------------------------------------- enums

/** Who wrote a message. ROLE_UNSPECIFIED is rejected with INVALID_ARGUMENT. */
export type Role =
  | 'ROLE_UNSPECIFIED'
  | 'ROLE_SYSTEM'
  | 'ROLE_USER'
  | 'ROLE_ASSISTANT'
  | 'ROLE_TOOL'
  | 'ROLE_DEVELOPER';

/** Why the model stopped. FINISH_REASON_UNSPECIFIED on every chunk but the last. */
export type FinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'FINISH_REASON_STOP'
  | 'FINISH_REASON_LENGTH'
  | 'FINISH_REASON_TOOL_CALLS'
  | 'FINISH_REASON_CONTENT_FILTER';

/** How the model may use the tools it was given. */
export type ToolChoiceMode =
  | 'TOOL_CHOICE_MODE_UNSPECIFIED'
  | 'TOOL_CHOICE_MODE_AUTO'
  | 'TOOL_CHOICE_MODE_NONE'
  | 'TOOL_CHOICE_MODE_REQUIRED';

/** The shape of the answer's content. */
export type ResponseFormatType =
  | 'RESPONSE_FORMAT_TYPE_UNSPECIFIED'
  | 'RESPONSE_FORMAT_TYPE_TEXT'
  | 'RESPONSE_FORMAT_TYPE_JSON_OBJECT'
  | 'RESPONSE_FORMAT_TYPE_JSON_SCHEMA';

// ---------------------------------------------------------------- request messages

/** One chat-completion request. */
export interface CompleteRequest {
  /** The key reference to call with, e.g. "team-a" (never a secret). Required unless the client has a default (`ConnectOptions.keyRef`). */
  keyRef?: string;
  /** The upstream model name, e.g. "gpt-4o-mini". Required unless the client has a default (`ConnectOptions.model`). */
  model?: string;
  /** Required, at least one. The conversation so far, oldest first. */
  messages: MessageInit[];
  /** 0 to 2. Unset: the upstream's default. */
  temperature?: number;
  /** 0 to 1. Unset: the upstream's default. */
  topP?: number;
  /** Greater than 0. Unset: the upstream's default. */
  maxTokens?: number;
  /** Up to 4 stop sequences. */
  stop?: string[];
  /** Best-effort deterministic sampling (an int64: a number or a decimal string). */
  seed?: number | string;
  /** -2 to 2. */
  presencePenalty?: number;
  /** -2 to 2. */
  frequencyPenalty?: number;
  /** Functions the model may call. */
  tools?: Tool[];
  /** How the model may use `tools`. */
  toolChoice?: ToolChoice | null;
  /** The shape of the answer. Unset: text. */
  responseFormat?: ResponseFormat | null;
  /** A stable identifier of the end user. */
  user?: string;
  /** Up to 16 pairs passed on to the upstream. */
  metadata?: { [key: string]: string };
}

/** A message as a request carries it (see `Message` for the answer's shape). */
export interface MessageInit {
  /** Required. A name ('ROLE_USER') or the enum number. */
  role: Role | number;
  content?: string;
  name?: string;
  /** Tool calls the assistant made (ROLE_ASSISTANT only). */
  toolCalls?: ToolCallInit[];
  /** The id of the tool call this message answers (ROLE_TOOL). */
  toolCallId?: string;
}

/** A tool call as a request carries it. */
export interface ToolCallInit {
  id?: string;
  name?: string;
  argumentsJson?: string;
}

/** A function the model may call. */
export interface Tool {
  /** Required. [A-Za-z0-9_-]{1,64}. */
  name: string;
  description?: string;
  /** A JSON Schema object, serialized as JSON text. Empty: no parameters. */
  parametersJsonSchema?: string;
}

/** A mode, or the one function the model must call. Set one of the two. */
export type ToolChoice =
  | { mode: ToolChoiceMode | number; functionName?: undefined }
  | { functionName: string; mode?: undefined };

/** The shape of the answer. */
export interface ResponseFormat {
  type?: ResponseFormatType | number;
  /** Required with RESPONSE_FORMAT_TYPE_JSON_SCHEMA: [A-Za-z0-9_-]{1,64}. */
  jsonSchemaName?: string;
  /** Required with RESPONSE_FORMAT_TYPE_JSON_SCHEMA: a JSON Schema object as JSON text. */
  jsonSchema?: string;
  jsonSchemaDescription?: string;
  jsonSchemaStrict?: boolean;
}

// ---------------------------------------------------------------- answer messages

/** One message of the conversation, as the daemon returns it. */
export interface Message {
  role: Role;
  content: string;
  name: string;
  toolCalls: ToolCall[];
  toolCallId: string;
}

/** A call of a tool, made by the model. */
export interface ToolCall {
  /** The id that the ROLE_TOOL answer refers to. */
  id: string;
  name: string;
  /** The arguments as JSON text, as the model produced them. */
  argumentsJson: string;
}

/** The whole answer of `complete`. */
export interface CompleteResponse {
  id: string;
  model: string;
  /** The answer: role ROLE_ASSISTANT, with content and/or tool calls. */
  message: Message | null;
  finishReason: FinishReason;
  usage: Usage | null;
  /** Who answered: the key ref, the upstream model and the number of targets tried. */
  servedBy: ServedBy | null;
}

/** One piece of a streamed answer. */
export interface CompleteChunk {
  id: string;
  model: string;
  /** Text to append to the answer. */
  contentDelta: string;
  /** Pieces of tool calls; concatenate `argumentsDelta` by `index`. */
  toolCallDeltas: ToolCallDelta[];
  /** Set on the last chunk only. */
  finishReason: FinishReason;
  /** Set on the last chunk only (when the upstream reports usage). */
  usage: Usage | null;
  /** Set on the last chunk only: who answered. */
  servedBy: ServedBy | null;
}

/** Who answered a call: a key_ref may route to pool members and fallbacks (docs/design.md, "Routing"). */
export interface ServedBy {
  /** The key ref whose target answered: the one named, a pool member, or a fallback. */
  keyRef: string;
  /** The model name sent to the upstream (after the target's ModelMap). */
  model: string;
  /** Targets tried, the answering one included (1 when the first answered). */
  attempts: number;
  /** True when the answer came from the response cache. */
  cached: boolean;
}

/** A piece of a streamed tool call. */
export interface ToolCallDelta {
  /** Which tool call of the answer this piece belongs to (0-based). */
  index: number;
  /** On the first piece of a call only. */
  id: string;
  /** On the first piece of a call only. */
  name: string;
  argumentsDelta: string;
}

/** Token counts as the upstream reports them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedPromptTokens: number;
  reasoningTokens: number;
}

// ---------------------------------------------------------------- errors

/**
 * The ErrorInfo reasons the daemon sends (domain "sidecar"): the values of sidecar.v1.ErrorReason
 * (proto/sidecar/v1/errors.proto) but ERROR_REASON_UNSPECIFIED, which is never sent.
 * test/types-drift.test.js fails when this list and the proto differ.
 */
export type SidecarErrorReason =
  | 'INVALID_REQUEST'
  | 'KEY_REF_NOT_FOUND'
  | 'KEY_REF_FORBIDDEN'
  | 'MODEL_NOT_ALLOWED'
  | 'KEY_UNAVAILABLE'
  | 'UPSTREAM_AUTH'
  | 'UPSTREAM_REJECTED'
  | 'UPSTREAM_RATE_LIMITED'
  | 'LOCAL_LIMIT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'CIRCUIT_OPEN'
  | 'UPSTREAM_STREAM_BROKEN'
  | 'SHUTTING_DOWN'
  | 'SHARED_LIMIT'
  | 'BUDGET_EXHAUSTED'
  | 'INTERNAL'
  | 'SHARED_STATE_UNAVAILABLE';

/** The reasons by name, read from the shipped proto at load time (ErrorReason.KEY_REF_NOT_FOUND === 'KEY_REF_NOT_FOUND'). */
export const ErrorReason: { readonly [R in SidecarErrorReason]: R };

/** A google.rpc.BadRequest field violation. */
export interface FieldViolation {
  /** A path to the field, e.g. "messages[0].role". */
  field: string;
  description: string;
  reason: string;
}

/** The parts of a google.rpc.Status that this client reads. */
export interface DecodedStatus {
  code: number;
  message: string;
  reason: string | undefined;
  domain: string | undefined;
  errorMetadata: { [key: string]: string };
  retryDelayMs: number | undefined;
  fieldViolations: FieldViolation[];
}

/** Every call fails with a SidecarError: the gRPC status plus the decoded status details. */
export class SidecarError extends Error {
  /** 'SidecarError', or 'AbortError' for an AbortError. */
  readonly name: 'SidecarError' | 'AbortError';
  /** The gRPC status code (compare with `status.NOT_FOUND` etc.). */
  readonly code: number;
  /** The code's name, e.g. "NOT_FOUND". */
  readonly codeName: string;
  /** The status message the server sent. */
  readonly details: string;
  /** google.rpc.ErrorInfo.reason; undefined when the status carried none. */
  readonly reason: SidecarErrorReason | (string & {}) | undefined;
  /** google.rpc.ErrorInfo.domain ("sidecar" for the daemon's own errors). */
  readonly domain: string | undefined;
  /** google.rpc.ErrorInfo.metadata. */
  readonly errorMetadata: { [key: string]: string };
  /**
   * google.rpc.RetryInfo.retry_delay in milliseconds; undefined when retrying does not help. With
   * BUDGET_EXHAUSTED it is the time until the budget resets (see `retryable`).
   */
  readonly retryDelayMs: number | undefined;
  /**
   * Whether the same call is worth retrying automatically after `retryDelayMs`: a RetryInfo is
   * attached and the reason is not BUDGET_EXHAUSTED (whose budget may reset hours later).
   */
  readonly retryable: boolean;
  /** google.rpc.BadRequest field violations (INVALID_ARGUMENT). */
  readonly fieldViolations: FieldViolation[];
  /** The trailers of the failed call, when it reached the server. */
  readonly metadata: Metadata | undefined;
  constructor(message: string, fields?: Partial<Omit<SidecarError, 'name' | 'message' | 'codeName' | 'retryable'>> & { cause?: unknown });
}

/**
 * What a call rejects with when its `signal` aborts: named 'AbortError' as Node's own APIs name
 * theirs, and a SidecarError with code CANCELLED (the gRPC call is cancelled on the daemon too).
 * `cause` is the signal's reason.
 */
export class AbortError extends SidecarError {
  readonly name: 'AbortError';
  constructor(message?: string, options?: { cause?: unknown });
}

// ---------------------------------------------------------------- stream accumulator

/** Merges the chunks of one stream into the answer `complete` would have given. */
export class StreamAccumulator {
  constructor();
  readonly id: string;
  readonly model: string;
  /** FINISH_REASON_UNSPECIFIED until the last chunk. */
  readonly finishReason: FinishReason;
  /** The last chunk's usage; null until then. */
  readonly usage: Usage | null;
  /** The last chunk's servedBy (who answered); null until then. */
  readonly servedBy: ServedBy | null;
  /** Whether the last chunk (the one with a finish reason) has been added. */
  readonly finished: boolean;
  /** The content so far. */
  readonly content: string;
  /** Adds the next chunk (tool-call deltas merged by index); throws after the last chunk. */
  add(chunk: CompleteChunk): this;
  /** The tool calls so far, ordered by index. */
  toolCalls(): ToolCall[];
  /** The answer (role ROLE_ASSISTANT, content, tool calls); throws when the stream has not finished. */
  finalMessage(): Message;
  /** The answer as `complete` returns it; throws when the stream has not finished. */
  toResponse(): CompleteResponse & { message: Message };
}

/** Reads a whole stream and resolves with the merged answer (the shape `complete` resolves with). */
export function accumulate(stream: AsyncIterable<CompleteChunk>): Promise<CompleteResponse & { message: Message }>;

// ---------------------------------------------------------------- client

export interface ConnectOptions {
  /** How long connect() waits for grpc.health.v1 to report SERVING. Default 10 000; 0 skips the wait. */
  readyTimeoutMs?: number;
  /** The deadline of a call that sets none. Default 120 000; 0 or Infinity: no deadline. */
  defaultDeadlineMs?: number;
  /** Passed on to the gRPC channel. */
  channelOptions?: ChannelOptions;
  /** The key reference of requests that name none. */
  keyRef?: string;
  /** The model of requests that name none. */
  model?: string;
  /** Aborts connect()'s readiness wait (it then rejects with an AbortError). */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** An absolute deadline (a Date or epoch milliseconds). Wins over timeoutMs. */
  deadline?: Date | number;
  /** A deadline relative to now, in ms (0: none). Wins over the client's default deadline. */
  timeoutMs?: number;
  /** Aborting the signal cancels the call; it then rejects (or the stream throws) with an AbortError. */
  signal?: AbortSignal;
  /** Request headers (ASCII values; keys ending in -bin take Buffers). */
  metadata?: { [key: string]: string | Buffer };
}

/** The chunks of a streamed answer; leaving a for-await loop early cancels the call. */
export interface ChunkStream extends AsyncGenerator<CompleteChunk, void, undefined> {
  /** Cancels the call: iteration then throws a SidecarError with code CANCELLED. */
  cancel(): void;
}

export class SidecarClient {
  /** Does not wait for the sidecar; connect() does. */
  constructor(socketPath?: string, options?: ConnectOptions);
  /** The socket path in use. */
  readonly socketPath: string;
  /** The deadline of calls that set none, in ms; null: no deadline. */
  readonly defaultDeadlineMs: number | null;
  /** The key reference of requests that name none; null: none. */
  readonly keyRef: string | null;
  /** The model of requests that name none; null: none. */
  readonly model: string | null;
  /** The request with the client's keyRef and model where it names none (a copy when anything changes). */
  withDefaults(request: CompleteRequest): CompleteRequest;
  /** The whole answer; rejects with a SidecarError. */
  complete(request: CompleteRequest, options?: CallOptions): Promise<CompleteResponse>;
  /** The answer as it is produced; the last chunk carries finishReason and usage. */
  streamComplete(request: CompleteRequest, options?: CallOptions): ChunkStream;
  /** Resolves once health reports SERVING; rejects with DEADLINE_EXCEEDED after timeoutMs, or an AbortError. */
  waitForReady(timeoutMs?: number, options?: { signal?: AbortSignal }): Promise<void>;
  /** Closes the channel; the process can then exit. */
  close(): void;
}

/**
 * Creates a client for the sidecar at socketPath (else $SIDECAR_SOCKET, else
 * /var/run/sidecar/sidecar.sock) and waits until it reports SERVING.
 */
export function connect(socketPath?: string, options?: ConnectOptions): Promise<SidecarClient>;

/** The socket path: the argument, else env.SIDECAR_SOCKET, else DEFAULT_SOCKET_PATH. */
export function resolveSocketPath(socketPath?: string, env?: { [key: string]: string | undefined }): string;

/** Decodes a serialized google.rpc.Status (the grpc-status-details-bin trailer); null if it does not decode. */
export function decodeStatusDetails(bytes: Uint8Array): DecodedStatus | null;

/** "/var/run/sidecar/sidecar.sock" */
export const DEFAULT_SOCKET_PATH: string;

/** gRPC status codes by name (status.NOT_FOUND === 5). */
export const status: typeof GrpcStatus;
