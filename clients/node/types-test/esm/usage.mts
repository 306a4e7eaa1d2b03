// Compiled (not run) by test/types-compile.test.js as an ES module (module: nodenext): named
// imports resolve through the package's "exports" map to index.d.mts, as they do at run time.
import sidecar, { connect, accumulate, AbortError, SidecarError, status, type CompleteRequest } from '@sidecar/client';

export async function main(): Promise<string> {
  const client = await connect(undefined, { keyRef: 'team-a', model: 'gpt-4o-mini' });
  try {
    const request: CompleteRequest = { messages: [{ role: 'ROLE_USER', content: 'hello' }] };
    const response = await client.complete(request, { signal: AbortSignal.timeout(5000) });
    const streamed = await accumulate(client.streamComplete(request));
    return `${response.message?.content} ${streamed.message.content}`;
  } catch (err) {
    if (err instanceof AbortError) return 'aborted';
    if (err instanceof SidecarError && err.code === status.UNAVAILABLE) return `retry in ${err.retryDelayMs ?? 1000} ms`;
    throw err;
  } finally {
    client.close();
  }
}

// The default export is the CommonJS module object.
export const sameClass: typeof SidecarError = sidecar.SidecarError;

// @ts-expect-error not an export of the package
import { notAnExport } from '@sidecar/client';
void notAnExport;
