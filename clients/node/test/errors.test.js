'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const grpc = require('@grpc/grpc-js');
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');
const { SidecarError, ErrorReason, decodeStatusDetails, status } = require('..');
const { toSidecarError } = require('../lib/errors');
const { statusDetailsBytes } = require('../testing/fake-sidecar');

test('decodeStatusDetails_errorInfoRetryInfoBadRequest_allDecoded', () => {
  const bytes = statusDetailsBytes({
    code: status.INVALID_ARGUMENT,
    message: 'bad request',
    errorInfo: { reason: 'INVALID_REQUEST', domain: 'sidecar', metadata: { field: 'messages' } },
    retryDelay: { seconds: 2, nanos: 500_000_000 },
    fieldViolations: [
      { field: 'messages', description: 'at least one message is required' },
      { field: 'model', description: 'required', reason: 'REQUIRED' },
    ],
  });

  const decoded = decodeStatusDetails(bytes);

  assert.equal(decoded.code, status.INVALID_ARGUMENT);
  assert.equal(decoded.message, 'bad request');
  assert.equal(decoded.reason, 'INVALID_REQUEST');
  assert.equal(decoded.domain, 'sidecar');
  assert.deepEqual(decoded.errorMetadata, { field: 'messages' });
  assert.equal(decoded.retryDelayMs, 2500);
  assert.deepEqual(decoded.fieldViolations, [
    { field: 'messages', description: 'at least one message is required', reason: '' },
    { field: 'model', description: 'required', reason: 'REQUIRED' },
  ]);
});

test('decodeStatusDetails_unknownDetailType_isSkipped', () => {
  const bytes = statusDetailsBytes({
    code: status.UNAVAILABLE,
    errorInfo: { reason: 'CIRCUIT_OPEN', domain: 'sidecar' },
    extra: [{ type_url: 'type.googleapis.com/example.Unknown', value: Buffer.from([8, 1]) }],
  });

  const decoded = decodeStatusDetails(bytes);

  assert.equal(decoded.reason, 'CIRCUIT_OPEN');
  assert.equal(decoded.retryDelayMs, undefined);
  assert.deepEqual(decoded.fieldViolations, []);
});

test('decodeStatusDetails_garbageOrEmpty_returnsNull', () => {
  assert.equal(decodeStatusDetails(Buffer.from([0xff, 0xff, 0xff])), null);
  assert.equal(decodeStatusDetails(Buffer.alloc(0)), null);
  assert.equal(decodeStatusDetails(undefined), null);
});

test('toSidecarError_serviceErrorWithDetailsTrailer_carriesReasonAndRetryDelay', () => {
  const metadata = new grpc.Metadata();
  metadata.set(
    'grpc-status-details-bin',
    statusDetailsBytes({
      code: status.RESOURCE_EXHAUSTED,
      errorInfo: { reason: 'UPSTREAM_RATE_LIMITED', domain: 'sidecar' },
      retryDelay: { seconds: 1 },
    }),
  );
  const serviceError = Object.assign(new Error('8 RESOURCE_EXHAUSTED: slow down'), {
    code: status.RESOURCE_EXHAUSTED,
    details: 'slow down',
    metadata,
  });

  const err = toSidecarError(serviceError);

  assert.ok(err instanceof SidecarError);
  assert.ok(err instanceof Error);
  assert.equal(err.code, status.RESOURCE_EXHAUSTED);
  assert.equal(err.codeName, 'RESOURCE_EXHAUSTED');
  assert.equal(err.details, 'slow down');
  assert.equal(err.reason, 'UPSTREAM_RATE_LIMITED');
  assert.equal(err.retryDelayMs, 1000);
  assert.equal(err.cause, serviceError);
  assert.match(err.message, /RESOURCE_EXHAUSTED \(UPSTREAM_RATE_LIMITED\): slow down/);
});

test('toSidecarError_noDetailsTrailer_hasCodeOnly', () => {
  const err = toSidecarError({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: new grpc.Metadata() });

  assert.equal(err.codeName, 'DEADLINE_EXCEEDED');
  assert.equal(err.reason, undefined);
  assert.equal(err.retryDelayMs, undefined);
  assert.deepEqual(err.fieldViolations, []);
});

test('toSidecarError_nonGrpcError_isUnknown', () => {
  const err = toSidecarError(new TypeError('boom'));

  assert.equal(err.code, status.UNKNOWN);
  assert.match(err.message, /boom/);
});

test('errorReason_isEveryValueOfTheProtoEnumButUnspecified_inOrder', () => {
  const errorsProto = path.join(__dirname, '..', 'proto', 'sidecar', 'v1', 'errors.proto');
  const values = protobuf.parse(fs.readFileSync(errorsProto, 'utf8')).root.lookupEnum('sidecar.v1.ErrorReason').values;
  const want = Object.entries(values)
    .filter(([, n]) => n !== 0)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name);

  assert.deepEqual(Object.keys(ErrorReason), want);
  for (const name of want) assert.equal(ErrorReason[name], name);
  assert.equal(ErrorReason.SHARED_LIMIT, 'SHARED_LIMIT');
  assert.equal(ErrorReason.BUDGET_EXHAUSTED, 'BUDGET_EXHAUSTED');
  assert.ok(Object.isFrozen(ErrorReason));
});

test('retryable_followsRetryInfo_exceptForAnExhaustedBudget', () => {
  const shared = new SidecarError('x', { code: status.RESOURCE_EXHAUSTED, reason: ErrorReason.SHARED_LIMIT, retryDelayMs: 250 });
  const budget = new SidecarError('x', { code: status.RESOURCE_EXHAUSTED, reason: ErrorReason.BUDGET_EXHAUSTED, retryDelayMs: 3_600_000 });
  const rejected = new SidecarError('x', { code: status.INVALID_ARGUMENT, reason: ErrorReason.UPSTREAM_REJECTED });

  assert.equal(shared.retryable, true);
  assert.equal(budget.retryable, false);
  assert.equal(budget.retryDelayMs, 3_600_000, 'the delay still says when the budget resets');
  assert.equal(rejected.retryable, false);
});
