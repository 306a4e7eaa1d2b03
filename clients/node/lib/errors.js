'use strict';
// SidecarError: a gRPC error with the google.rpc.Status details the daemon sends decoded.
const grpc = require('@grpc/grpc-js');
const { statusTypes } = require('./protos');

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** gRPC status code number -> name ('NOT_FOUND'). */
const CODE_NAMES = Object.freeze(
  Object.fromEntries(Object.entries(grpc.status).map(([name, value]) => [value, name])),
);

/**
 * The google.rpc.ErrorInfo reasons the daemon sends, by name (ErrorReason.KEY_REF_NOT_FOUND ===
 * 'KEY_REF_NOT_FOUND'): the values of the contract's sidecar.v1.ErrorReason
 * (proto/sidecar/v1/errors.proto, which says when each is sent), in the contract's order, read from
 * the proto so that they cannot drift from it. ERROR_REASON_UNSPECIFIED is never sent.
 */
const ErrorReason = Object.freeze(
  Object.fromEntries(
    Object.entries(statusTypes().lookupEnum('sidecar.v1.ErrorReason').values)
      .filter(([, number]) => number !== 0)
      .sort(([, a], [, b]) => a - b)
      .map(([name]) => [name, name]),
  ),
);

/** An error from the sidecar (or from gRPC on the way to it). */
class SidecarError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'SidecarError';
    this.code = fields.code ?? grpc.status.UNKNOWN;
    this.codeName = CODE_NAMES[this.code] ?? String(this.code);
    this.details = fields.details ?? '';
    this.reason = fields.reason;
    this.domain = fields.domain;
    this.errorMetadata = fields.errorMetadata ?? {};
    this.retryDelayMs = fields.retryDelayMs;
    this.fieldViolations = fields.fieldViolations ?? [];
    this.metadata = fields.metadata;
  }

  /**
   * Whether the same call is worth retrying automatically after retryDelayMs: the daemon attached
   * a RetryInfo, and the reason is not BUDGET_EXHAUSTED (whose RetryInfo says when the key_ref's
   * daily or monthly token budget resets, which may be hours away).
   */
  get retryable() {
    return this.retryDelayMs !== undefined && this.reason !== ErrorReason.BUDGET_EXHAUSTED;
  }
}


/**
 * What a call rejects with when its AbortSignal aborts: named 'AbortError' as Node's own APIs
 * name theirs (so `err.name === 'AbortError'` works), and a SidecarError with code CANCELLED,
 * which is what the gRPC call ended with (it is cancelled on the daemon too). `cause` is the
 * signal's reason.
 */
class AbortError extends SidecarError {
  constructor(message = 'The operation was aborted', options = {}) {
    super(`CANCELLED: ${message}`, { code: grpc.status.CANCELLED, details: message, cause: options.cause });
    this.name = 'AbortError';
  }
}

/** The AbortError for an aborted signal. */
function abortErrorOf(signal) {
  return new AbortError('The operation was aborted', { cause: signal?.reason });
}

function durationToMs(duration) {
  if (!duration) return undefined;
  const seconds = Number(duration.seconds ?? 0);
  const nanos = Number(duration.nanos ?? 0);
  return seconds * 1000 + Math.round(nanos / 1e6);
}

/**
 * Decodes a serialized google.rpc.Status into the parts a caller uses. Unknown detail types are
 * skipped; bytes that do not decode give null (the status code alone still tells what happened).
 */
function decodeStatusDetails(bytes) {
  if (!bytes || bytes.length === 0) return null;
  const root = statusTypes();
  let status;
  try {
    status = root.lookupType('google.rpc.Status').decode(bytes);
  } catch {
    return null;
  }
  const result = {
    code: status.code,
    message: status.message,
    reason: undefined,
    domain: undefined,
    errorMetadata: {},
    retryDelayMs: undefined,
    fieldViolations: [],
  };
  for (const any of status.details ?? []) {
    // protobufjs's built-in google.protobuf.Any keeps the proto field name type_url.
    const typeName = String(any.type_url ?? any.typeUrl ?? '').split('/').pop();
    let type;
    try {
      type = root.lookupType(typeName);
    } catch {
      continue; // a detail type this client does not know
    }
    let detail;
    try {
      detail = type.toObject(type.decode(any.value), { longs: Number, defaults: true });
    } catch {
      continue;
    }
    switch (typeName) {
      case 'google.rpc.ErrorInfo':
        result.reason = detail.reason;
        result.domain = detail.domain;
        result.errorMetadata = detail.metadata ?? {};
        break;
      case 'google.rpc.RetryInfo':
        result.retryDelayMs = durationToMs(detail.retryDelay);
        break;
      case 'google.rpc.BadRequest':
        for (const v of detail.fieldViolations ?? []) {
          result.fieldViolations.push({ field: v.field, description: v.description, reason: v.reason });
        }
        break;
      default:
        break;
    }
  }
  return result;
}

/** Wraps an error thrown by grpc-js (a ServiceError) into a SidecarError. */
function toSidecarError(err) {
  if (err instanceof SidecarError) return err;
  if (!err || typeof err.code !== 'number') {
    return new SidecarError(err?.message ?? String(err), { code: grpc.status.UNKNOWN, cause: err });
  }
  const values = err.metadata?.get?.(STATUS_DETAILS_KEY) ?? [];
  const decoded = values.length > 0 && Buffer.isBuffer(values[0]) ? decodeStatusDetails(values[0]) : null;
  const codeName = CODE_NAMES[err.code] ?? String(err.code);
  const reasonText = decoded?.reason ? ` (${decoded.reason})` : '';
  return new SidecarError(`${codeName}${reasonText}: ${err.details ?? err.message}`, {
    code: err.code,
    details: err.details ?? '',
    reason: decoded?.reason,
    domain: decoded?.domain,
    errorMetadata: decoded?.errorMetadata,
    retryDelayMs: decoded?.retryDelayMs,
    fieldViolations: decoded?.fieldViolations,
    metadata: err.metadata,
    cause: err,
  });
}

module.exports = { ErrorReason, SidecarError, AbortError, abortErrorOf, STATUS_DETAILS_KEY, CODE_NAMES, decodeStatusDetails, toSidecarError };
