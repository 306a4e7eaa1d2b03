'use strict';
// @sidecar/client: talk to the Sidecar daemon over its Unix domain socket.
const grpc = require('@grpc/grpc-js');
const client = require('./lib/client');
const errors = require('./lib/errors');
const accumulator = require('./lib/accumulate');

module.exports = {
  connect: client.connect,
  SidecarClient: client.SidecarClient,
  SidecarError: errors.SidecarError,
  /** The ErrorInfo reasons the daemon sends, from sidecar.v1.ErrorReason (ErrorReason.KEY_REF_NOT_FOUND). */
  ErrorReason: errors.ErrorReason,
  AbortError: errors.AbortError,
  StreamAccumulator: accumulator.StreamAccumulator,
  accumulate: accumulator.accumulate,
  resolveSocketPath: client.resolveSocketPath,
  decodeStatusDetails: errors.decodeStatusDetails,
  DEFAULT_SOCKET_PATH: client.DEFAULT_SOCKET_PATH,
  /** gRPC status codes by name (status.NOT_FOUND === 5). */
  status: grpc.status,
};
