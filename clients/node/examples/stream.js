#!/usr/bin/env node
'use strict';
// Streams one answer from the sidecar and prints it as it arrives.
//
//   SIDECAR_SOCKET=/tmp/sidecar.sock node examples/stream.js "tell me a joke"
//
// SIDECAR_KEY_REF (default "echo", the daemon's built-in echo provider) and SIDECAR_MODEL
// (default "echo-1") choose the key reference and the model.
const { connect, SidecarError } = require('..'); // require('@sidecar/client') in your code

async function main() {
  const prompt = process.argv.slice(2).join(' ') || 'hello from node';
  const client = await connect(); // $SIDECAR_SOCKET, else /var/run/sidecar/sidecar.sock
  try {
    const stream = client.streamComplete({
      keyRef: process.env.SIDECAR_KEY_REF || 'echo',
      model: process.env.SIDECAR_MODEL || 'echo-1',
      messages: [
        { role: 'ROLE_SYSTEM', content: 'You are brief.' },
        { role: 'ROLE_USER', content: prompt },
      ],
    });
    for await (const chunk of stream) {
      process.stdout.write(chunk.contentDelta);
      if (chunk.finishReason !== 'FINISH_REASON_UNSPECIFIED') {
        const u = chunk.usage;
        process.stdout.write(`\n[${chunk.finishReason}${u ? `, ${u.totalTokens} tokens` : ''}]\n`);
      }
    }
  } finally {
    client.close(); // or the process does not exit
  }
}

main().catch((err) => {
  if (err instanceof SidecarError) {
    console.error(`sidecar error ${err.codeName} reason=${err.reason ?? '-'}: ${err.details}`);
  } else {
    console.error(err);
  }
  process.exitCode = 1;
});
