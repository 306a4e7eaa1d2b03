"""Connecting to the Sidecar daemon over its Unix socket."""

from __future__ import annotations

import collections
import os
import time
from typing import Any, Iterator, Optional, Sequence, Tuple

import grpc

from sidecar_client._protos import completions_pb2, completions_pb2_grpc, health_pb2

#: Where the daemon listens unless configured otherwise.
DEFAULT_SOCKET_PATH = "/var/run/sidecar/sidecar.sock"
#: Environment variable that overrides DEFAULT_SOCKET_PATH (daemon and every client).
SOCKET_ENV = "SIDECAR_SOCKET"
#: The grpc.health.v1 service name the daemon reports SERVING for once it takes calls.
HEALTH_SERVICE = "sidecar.v1.Completions"

_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class NotReadyError(ConnectionError):
    """The daemon did not report SERVING within the ready timeout (or has no health service)."""


def resolve_socket_path(socket_path: Optional[str] = None) -> str:
    """``socket_path`` if given and not empty, else ``$SIDECAR_SOCKET`` if set and not empty,
    else ``/var/run/sidecar/sidecar.sock``."""
    if socket_path:
        return os.fspath(socket_path)
    return os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET_PATH


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _DefaultTimeout(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Gives calls made without ``timeout=`` a default deadline (it covers a whole stream)."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def _with_default(self, d: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        if d.timeout is not None:
            return d
        return _CallDetails(
            d.method,
            self._timeout,
            d.metadata,
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._with_default(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._with_default(client_call_details), request)


class Client:
    """A connection to the daemon: ``complete`` / ``stream_complete`` call the Completions
    service, ``stub`` is the generated ``CompletionsStub`` and ``channel`` the gRPC channel.
    Thread-safe; make one per process and ``close()`` it (or use ``with``)."""

    def __init__(self, channel: grpc.Channel, raw_channel: grpc.Channel, socket_path: str) -> None:
        self.channel = channel
        self.socket_path = socket_path
        self.stub = completions_pb2_grpc.CompletionsStub(channel)
        self._raw_channel = raw_channel

    def complete(
        self, request: completions_pb2.CompleteRequest, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> completions_pb2.CompleteResponse:
        """The whole answer (``Completions/Complete``). Raises ``grpc.RpcError`` on failure; read
        its details with ``sidecar_client.error_reason`` & co."""
        return self.stub.Complete(request, timeout=timeout, **kwargs)

    def stream_complete(
        self, request: completions_pb2.CompleteRequest, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> Iterator[completions_pb2.CompleteChunk]:
        """An iterator of chunks (``Completions/StreamComplete``); the last one carries
        ``finish_reason`` and ``usage``. It is also the call object: ``.cancel()`` stops the
        stream. Errors are raised as ``grpc.RpcError`` while iterating."""
        return self.stub.StreamComplete(request, timeout=timeout, **kwargs)

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def wait_until_serving(channel: grpc.Channel, timeout: float) -> None:
    """Calls grpc.health.v1 Check("sidecar.v1.Completions") until it answers SERVING; raises
    NotReadyError after ``timeout`` seconds. Each check waits for the connection
    (wait_for_ready), so a socket that does not exist yet is waited for, not an error."""
    check = channel.unary_unary(
        _HEALTH_CHECK,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    serving = health_pb2.HealthCheckResponse.SERVING
    deadline = time.monotonic() + timeout
    pause = 0.05
    last = "no answer"
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotReadyError(f"gave up after {timeout:g}s: {last}")
        try:
            resp = check(
                health_pb2.HealthCheckRequest(service=HEALTH_SERVICE), timeout=remaining, wait_for_ready=True
            )
            if resp.status == serving:
                return
            last = "health check of %r answered %s" % (
                HEALTH_SERVICE,
                health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status),
            )
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise NotReadyError(
                    "no grpc.health.v1 service on the socket (is this a Sidecar daemon?)"
                ) from e
            # Keep an earlier, more telling answer over the final "deadline exceeded".
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED or last == "no answer":
                last = f"{e.code().name}: {e.details()}"
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        pause = min(pause * 2, 1.0)


def connect(
    socket_path: Optional[str] = None,
    *,
    ready_timeout: Optional[float] = 10.0,
    default_timeout: Optional[float] = 120.0,
    options: Sequence[Tuple[str, Any]] = (),
) -> Client:
    """Connects to the daemon's Unix socket and returns a :class:`Client`.

    ``socket_path``: None → ``$SIDECAR_SOCKET`` → ``/var/run/sidecar/sidecar.sock``.
    ``ready_timeout``: seconds to wait for the daemon to report SERVING (grpc.health.v1);
    None skips the wait. Raises :class:`NotReadyError` when it passes.
    ``default_timeout``: deadline in seconds of calls made without ``timeout=``; None turns it
    off. ``options``: extra gRPC channel options.
    """
    path = resolve_socket_path(socket_path)
    channel_options = [
        # A local socket: reconnect quickly while the daemon starts.
        ("grpc.initial_reconnect_backoff_ms", 50),
        ("grpc.max_reconnect_backoff_ms", 2000),
        *options,
    ]
    raw = grpc.insecure_channel("unix:" + path, options=channel_options)
    try:
        if ready_timeout is not None:
            try:
                wait_until_serving(raw, ready_timeout)
            except NotReadyError as e:
                raise NotReadyError(f"sidecar: daemon at {path} not ready: {e}") from e.__cause__
        channel = grpc.intercept_channel(raw, _DefaultTimeout(default_timeout)) if default_timeout else raw
    except BaseException:
        raw.close()
        raise
    return Client(channel, raw, path)
