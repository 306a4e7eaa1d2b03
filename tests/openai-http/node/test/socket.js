'use strict';
// Where the daemon's OpenAI-compatible door listens: SIDECAR_OPENAI_SOCKET, or openai.sock beside
// the gRPC socket that tests/conformance/with-daemon.sh exports as SIDECAR_SOCKET (the daemon's default).
const path = require('node:path');

function openaiSocket() {
  if (process.env.SIDECAR_OPENAI_SOCKET) {
    return process.env.SIDECAR_OPENAI_SOCKET;
  }
  if (!process.env.SIDECAR_SOCKET) {
    throw new Error('set SIDECAR_SOCKET (run through tests/conformance/with-daemon.sh) or SIDECAR_OPENAI_SOCKET');
  }
  return path.join(path.dirname(process.env.SIDECAR_SOCKET), 'openai.sock');
}

module.exports = { openaiSocket };
