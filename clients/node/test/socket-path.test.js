'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { resolveSocketPath, DEFAULT_SOCKET_PATH } = require('..');

test('resolveSocketPath_argumentGiven_winsOverEnvironment', () => {
  assert.equal(resolveSocketPath('/tmp/a.sock', { SIDECAR_SOCKET: '/tmp/env.sock' }), '/tmp/a.sock');
});

test('resolveSocketPath_noArgument_usesSidecarSocketEnv', () => {
  assert.equal(resolveSocketPath(undefined, { SIDECAR_SOCKET: '/tmp/env.sock' }), '/tmp/env.sock');
});

test('resolveSocketPath_emptyArgumentAndEnv_usesDefault', () => {
  assert.equal(resolveSocketPath('', { SIDECAR_SOCKET: '' }), DEFAULT_SOCKET_PATH);
  assert.equal(resolveSocketPath(undefined, {}), '/var/run/sidecar/sidecar.sock');
});

test('resolveSocketPath_noEnvArgument_readsProcessEnv', () => {
  const saved = process.env.SIDECAR_SOCKET;
  process.env.SIDECAR_SOCKET = '/tmp/from-process.sock';
  try {
    assert.equal(resolveSocketPath(), '/tmp/from-process.sock');
  } finally {
    if (saved === undefined) delete process.env.SIDECAR_SOCKET;
    else process.env.SIDECAR_SOCKET = saved;
  }
});
