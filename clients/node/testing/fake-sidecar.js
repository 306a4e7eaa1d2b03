'use strict';
// An in-process gRPC server on a temporary Unix socket that plays the daemon for unit tests:
// sidecar.v1.Completions and grpc.health.v1.Health with handlers each test provides.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { grpcPackages, statusTypes } = require('../lib/protos');

const unimplemented = (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' });

/**
 * Starts a fake sidecar. handlers: { complete(call, callback), streamComplete(call), check(call, callback) }
 * (grpc-js server handlers). Returns { socketPath, stop() }.
 */
async function startFakeSidecar(handlers = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-node-test-'));
  const socketPath = path.join(dir, 's.sock');
  const pkg = grpcPackages();
  const server = new grpc.Server();
  server.addService(pkg.sidecar.v1.Completions.service, {
    Complete: handlers.complete ?? unimplemented,
    StreamComplete: handlers.streamComplete ?? ((call) => call.destroy({ code: grpc.status.UNIMPLEMENTED })),
  });
  server.addService(pkg.grpc.health.v1.Health.service, {
    Check: handlers.check ?? ((_call, callback) => callback(null, { status: 'SERVING' })),
    Watch: (call) => call.destroy({ code: grpc.status.UNIMPLEMENTED }),
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return {
    socketPath,
    stop: () => {
      server.forceShutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds the grpc-status-details-bin trailer bytes for a google.rpc.Status. */
function statusDetailsBytes({ code, message = '', errorInfo, retryDelay, fieldViolations, extra = [] }) {
  const root = statusTypes();
  const pack = (typeName, value) => {
    const type = root.lookupType(typeName);
    return { type_url: `type.googleapis.com/${typeName}`, value: type.encode(type.fromObject(value)).finish() };
  };
  const details = [];
  if (errorInfo) details.push(pack('google.rpc.ErrorInfo', errorInfo));
  if (retryDelay) details.push(pack('google.rpc.RetryInfo', { retryDelay }));
  if (fieldViolations) details.push(pack('google.rpc.BadRequest', { fieldViolations }));
  details.push(...extra);
  const Status = root.lookupType('google.rpc.Status');
  return Buffer.from(Status.encode(Status.fromObject({ code, message, details })).finish());
}

/** A grpc-js server error object carrying status details in its trailers. */
function errorWithDetails(code, message, details) {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', statusDetailsBytes({ code, message, ...details }));
  return { code, details: message, metadata };
}

module.exports = { startFakeSidecar, statusDetailsBytes, errorWithDetails };
