'use strict';
const grpc = require('@grpc/grpc-js');
const { grpcPackages } = require('./protos');
const { SidecarError, abortErrorOf, toSidecarError } = require('./errors');

const DEFAULT_SOCKET_PATH = '/var/run/sidecar/sidecar.sock';
const SOCKET_ENV = 'SIDECAR_SOCKET';
const HEALTH_SERVICE = 'sidecar.v1.Completions';
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const DEFAULT_DEADLINE_MS = 120_000;

/** The socket path: the argument, else $SIDECAR_SOCKET, else /var/run/sidecar/sidecar.sock. */
function resolveSocketPath(socketPath, env = process.env) {
  if (socketPath) return socketPath;
  if (env[SOCKET_ENV]) return env[SOCKET_ENV];
  return DEFAULT_SOCKET_PATH;
}

/** The gRPC target for a socket path ('unix:' targets are passed through). */
function toTarget(socketPath) {
  if (socketPath.startsWith('unix:')) return socketPath;
  if (socketPath.startsWith('/')) return `unix://${socketPath}`;
  return `unix:${socketPath}`;
}

function positiveOrNull(ms) {
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** A client of one sidecar. Create it with connect(); close() it when done. */
class SidecarClient {
  constructor(socketPath, options = {}) {
    this.socketPath = resolveSocketPath(socketPath);
    this.keyRef = options.keyRef || null;
    this.model = options.model || null;
    this.defaultDeadlineMs =
      options.defaultDeadlineMs === undefined ? DEFAULT_DEADLINE_MS : positiveOrNull(options.defaultDeadlineMs);
    const pkg = grpcPackages();
    const target = toTarget(this.socketPath);
    const credentials = grpc.credentials.createInsecure();
    const channelOptions = { ...(options.channelOptions ?? {}) };
    this._completions = new pkg.sidecar.v1.Completions(target, credentials, channelOptions);
    // The health client shares the channel of the completions client.
    this._health = new pkg.grpc.health.v1.Health(target, credentials, {
      ...channelOptions,
      channelOverride: this._completions.getChannel(),
    });
  }

  _callOptions(options) {
    const callOptions = {};
    if (options?.deadline !== undefined) {
      callOptions.deadline = options.deadline;
    } else if (options?.timeoutMs !== undefined) {
      const ms = positiveOrNull(options.timeoutMs);
      if (ms !== null) callOptions.deadline = new Date(Date.now() + ms);
    } else if (this.defaultDeadlineMs !== null) {
      callOptions.deadline = new Date(Date.now() + this.defaultDeadlineMs);
    }
    return callOptions;
  }

  /** The request with the client's keyRef and model where it names none (a copy; the argument is not modified). */
  withDefaults(request) {
    const keyRef = request.keyRef || this.keyRef;
    const model = request.model || this.model;
    if (keyRef === request.keyRef && model === request.model) return request;
    return { ...request, ...(keyRef ? { keyRef } : {}), ...(model ? { model } : {}) };
  }

  _metadata(options) {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(options?.metadata ?? {})) metadata.add(key, value);
    return metadata;
  }

  /**
   * Calls Complete: resolves with the whole CompleteResponse, rejects with a SidecarError (or an
   * AbortError when options.signal aborts; the call is then cancelled on the daemon too).
   */
  complete(request, options = {}) {
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) {
        reject(abortErrorOf(signal));
        return;
      }
      let onAbort;
      const call = this._completions.Complete(
        this.withDefaults(request),
        this._metadata(options),
        this._callOptions(options),
        (err, response) => {
          if (onAbort) signal.removeEventListener('abort', onAbort);
          if (err) reject(signal?.aborted && err.code === grpc.status.CANCELLED ? abortErrorOf(signal) : toSidecarError(err));
          else resolve(response);
        },
      );
      if (signal) {
        onAbort = () => call.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /**
   * Calls StreamComplete: returns an async iterable of CompleteChunk. Iteration ends after the last
   * chunk (the one with finishReason); a failed stream throws a SidecarError. Leaving the loop early
   * (break, return, throw) cancels the call; aborting options.signal cancels it and makes the
   * iteration throw an AbortError. Merge the chunks with accumulate().
   */
  streamComplete(request, options = {}) {
    const signal = options.signal;
    if (signal?.aborted) {
      // Never start a call that is already aborted: the first next() rejects.
      const aborted = (async function* () { throw abortErrorOf(signal); })();
      aborted.cancel = () => {};
      return aborted;
    }
    const call = this._completions.StreamComplete(this.withDefaults(request), this._metadata(options), this._callOptions(options));
    let onAbort;
    if (signal) {
      onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    const iterate = async function* () {
      let finished = false;
      try {
        for await (const chunk of call) {
          if (signal?.aborted) throw abortErrorOf(signal);
          yield chunk;
        }
        finished = true;
      } catch (err) {
        finished = true;
        if (signal?.aborted) throw err?.name === 'AbortError' ? err : abortErrorOf(signal);
        throw toSidecarError(err);
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
        if (!finished) call.cancel();
      }
    };
    const iterable = iterate();
    iterable.cancel = () => call.cancel();
    return iterable;
  }

  /**
   * Resolves once the sidecar reports SERVING for sidecar.v1.Completions on grpc.health.v1, or
   * rejects with a SidecarError (DEADLINE_EXCEEDED, with the last status seen) after timeoutMs,
   * or with an AbortError when options.signal aborts.
   */
  async waitForReady(timeoutMs = DEFAULT_READY_TIMEOUT_MS, options = {}) {
    const signal = options.signal;
    const deadline = Date.now() + timeoutMs;
    let delayMs = 25;
    let last = 'no answer';
    for (;;) {
      if (signal?.aborted) throw abortErrorOf(signal);
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const status = await this._check(new Date(Date.now() + remaining), signal);
        if (status === 'SERVING') return;
        last = `health status ${status}`;
      } catch (err) {
        if (signal?.aborted) throw abortErrorOf(signal);
        if (err.code === grpc.status.UNIMPLEMENTED) {
          throw new SidecarError(`UNIMPLEMENTED: ${this.socketPath} does not serve grpc.health.v1`, {
            code: err.code,
            cause: err,
          });
        }
        if (err.code !== grpc.status.DEADLINE_EXCEEDED) last = `${err.code === undefined ? '' : `code ${err.code}: `}${err.details ?? err.message}`;
      }
      const pause = Math.min(delayMs, deadline - Date.now());
      if (pause <= 0) break;
      // Back off between health checks: the daemon may still be starting (NOT_SERVING).
      await sleep(pause, signal);
      delayMs = Math.min(delayMs * 2, 500);
    }
    throw new SidecarError(
      `DEADLINE_EXCEEDED: sidecar at ${this.socketPath} not ready within ${timeoutMs} ms (${last})`,
      { code: grpc.status.DEADLINE_EXCEEDED },
    );
  }

  _check(deadline, signal) {
    return new Promise((resolve, reject) => {
      // waitForReady: the call waits (until the deadline) for the socket to accept a connection.
      const metadata = new grpc.Metadata({ waitForReady: true });
      const onAbort = () => call.cancel();
      const call = this._health.Check({ service: HEALTH_SERVICE }, metadata, { deadline }, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(response.status);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes the channel. Calls in flight are cancelled. */
  close() {
    this._health.close();
    this._completions.close();
  }
}

/** Resolves after ms, or rejects with an AbortError when signal aborts first. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorOf(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Creates a client for the sidecar at socketPath (else $SIDECAR_SOCKET, else the default path) and
 * waits until it is ready (readyTimeoutMs, default 10 s; 0 skips the wait; options.signal aborts
 * the wait).
 */
async function connect(socketPath, options = {}) {
  const client = new SidecarClient(socketPath, options);
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  if (readyTimeoutMs > 0) {
    try {
      await client.waitForReady(readyTimeoutMs, { signal: options.signal });
    } catch (err) {
      client.close();
      throw err;
    }
  }
  return client;
}

module.exports = {
  SidecarClient,
  connect,
  resolveSocketPath,
  DEFAULT_SOCKET_PATH,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_DEADLINE_MS,
  HEALTH_SERVICE,
};
