'use strict';
// Loads the protos shipped in proto/ once, at first use.
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.resolve(__dirname, '..', 'proto');

/**
 * Options for proto-loader. Field names are lowerCamelCase (as in the protobuf JSON mapping),
 * enums are their names ('ROLE_USER'), int64 values are strings, absent scalars read as their
 * default value ('' / 0), absent messages as null, and a set oneof names its field.
 */
const LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

let grpcObject;
let statusRoot;

/** The gRPC package object: sidecar.v1.Completions and grpc.health.v1.Health client classes. */
function grpcPackages() {
  if (!grpcObject) {
    const definition = protoLoader.loadSync(
      ['sidecar/v1/completions.proto', 'sidecar/v1/errors.proto', 'grpc/health/v1/health.proto'],
      LOADER_OPTIONS,
    );
    grpcObject = grpc.loadPackageDefinition(definition);
  }
  return grpcObject;
}

/**
 * A protobufjs Root holding google.rpc.Status, the standard error details and sidecar.v1.ErrorReason
 * (the reasons ErrorInfo carries).
 */
function statusTypes() {
  if (!statusRoot) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      // google/protobuf/*.proto come with protobufjs; everything else is shipped in proto/.
      if (target.startsWith('google/protobuf/')) return target;
      return path.join(PROTO_DIR, target);
    };
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto', 'sidecar/v1/errors.proto'], { keepCase: false });
    root.resolveAll();
    statusRoot = root;
  }
  return statusRoot;
}

module.exports = { PROTO_DIR, LOADER_OPTIONS, grpcPackages, statusTypes };
