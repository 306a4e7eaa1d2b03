"""Connecting to the Sidecar daemon over its Unix socket."""

from __future__ import annotations

import collections
import os
import time
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence, Tuple, cast

import grpc

from sidecar_client._protos import completions_pb2, completions_pb2_grpc, health_pb2

#: Where the daemon listens unless configured otherwise.
DEFAULT_SOCKET_PATH = "/var/run/sidecar/sidecar.sock"
#: Environment variable that overrides DEFAULT_SOCKET_PATH (daemon and every client).
SOCKET_ENV = "SIDECAR_SOCKET"
#: The grpc.health.v1 service name the daemon reports SERVING for once it takes calls.
HEALTH_SERVICE = "sidecar.v1.Completions"
#: Seconds to wait for the daemon to report SERVING, and the default deadline of a call.
DEFAULT_READY_TIMEOUT = 10.0
DEFAULT_CALL_TIMEOUT = 120.0

_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


class NotReadyError(ConnectionError):
    """The daemon did not report SERVING within the ready timeout (or has no health service)."""


class CompleteStream(Protocol):
    """What :meth:`Client.stream_complete` returns: gRPC's call object, an iterator of chunks
    that is also the call (cancel it, read its status and metadata)."""

    def __iter__(self) -> Iterator[completions_pb2.CompleteChunk]: ...

    def __next__(self) -> completions_pb2.CompleteChunk: ...

    def cancel(self) -> bool:
        """Stops the stream; iterating then raises ``grpc.RpcError`` with CANCELLED."""

    def is_active(self) -> bool: ...

    def time_remaining(self) -> Optional[float]: ...

    def add_callback(self, callback: Callable[[], None]) -> bool: ...

    def initial_metadata(self) -> Any: ...

    def trailing_metadata(self) -> Any: ...

    def code(self) -> grpc.StatusCode: ...

    def details(self) -> Optional[str]: ...


def resolve_socket_path(socket_path: Optional[str] = None) -> str:
    """``socket_path`` if given and not empty, else ``$SIDECAR_SOCKET`` if set and not empty,
    else ``/var/run/sidecar/sidecar.sock``."""
    if socket_path:
        return os.fspath(socket_path)
    return os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET_PATH


def with_defaults(request: Any, key_ref: Optional[str], model: Optional[str]) -> Any:
    """``request``, or for a CompleteRequest that leaves ``key_ref`` / ``model`` empty, a copy
    with the defaults filled in (the caller's message is never changed)."""
    if not isinstance(request, completions_pb2.CompleteRequest):
        return request
    fill_key = key_ref if key_ref and not request.key_ref else None
    fill_model = model if model and not request.model else None
    if fill_key is None and fill_model is None:
        return request
    filled = completions_pb2.CompleteRequest()
    filled.CopyFrom(request)
    if fill_key is not None:
        filled.key_ref = fill_key
    if fill_model is not None:
        filled.model = fill_model
    return filled


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,  # type: ignore[misc]  # grpc ships no type information
):
    pass


class _Defaults(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Gives calls made without ``timeout=`` a default deadline (it covers a whole stream) and
    fills the client's default key_ref and model into requests that leave them empty."""

    def __init__(self, timeout: Optional[float], key_ref: Optional[str], model: Optional[str]) -> None:
        self._timeout = timeout
        self._key_ref = key_ref
        self._model = model

    def _details(self, d: Any) -> Any:
        if d.timeout is not None or self._timeout is None:
            return d
        return _CallDetails(
            d.method,
            self._timeout,
            d.metadata,
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return continuation(self._details(client_call_details), with_defaults(request, self._key_ref, self._model))

    def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return continuation(self._details(client_call_details), with_defaults(request, self._key_ref, self._model))


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
        return cast(completions_pb2.CompleteResponse, self.stub.Complete(request, timeout=timeout, **kwargs))

    def stream_complete(
        self, request: completions_pb2.CompleteRequest, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> CompleteStream:
        """The chunks of ``Completions/StreamComplete``; the last one carries ``finish_reason``
        and ``usage``. The result is also the call: ``.cancel()`` stops the stream. Errors are
        raised as ``grpc.RpcError`` while iterating. ``sidecar_client.accumulate(stream)``
        merges it into one answer."""
        return cast(CompleteStream, self.stub.StreamComplete(request, timeout=timeout, **kwargs))

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _health_request() -> health_pb2.HealthCheckRequest:
    return health_pb2.HealthCheckRequest(service=HEALTH_SERVICE)


def _not_serving(resp: health_pb2.HealthCheckResponse) -> str:
    return "health check of %r answered %s" % (
        HEALTH_SERVICE,
        health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status),
    )


_NO_HEALTH = "no grpc.health.v1 service on the socket (is this a Sidecar daemon?)"


def wait_until_serving(channel: grpc.Channel, timeout: float) -> None:
    """Calls grpc.health.v1 Check("sidecar.v1.Completions") until it answers SERVING; raises
    NotReadyError after ``timeout`` seconds. Each check waits for the connection
    (wait_for_ready), so a socket that does not exist yet is waited for, not an error."""
    check = channel.unary_unary(
        _HEALTH_CHECK,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    deadline = time.monotonic() + timeout
    pause = 0.05
    last = "no answer"
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotReadyError(f"gave up after {timeout:g}s: {last}")
        try:
            resp = check(_health_request(), timeout=remaining, wait_for_ready=True)
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return
            last = _not_serving(resp)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise NotReadyError(_NO_HEALTH) from e
            # Keep an earlier, more telling answer over the final "deadline exceeded".
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED or last == "no answer":
                last = f"{e.code().name}: {e.details()}"
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        pause = min(pause * 2, 1.0)


def channel_options(options: Sequence[Tuple[str, Any]]) -> Sequence[Tuple[str, Any]]:
    """The channel options every client uses, then the caller's."""
    return [
        # A local socket: reconnect quickly while the daemon starts.
        ("grpc.initial_reconnect_backoff_ms", 50),
        ("grpc.max_reconnect_backoff_ms", 2000),
        *options,
    ]


def connect(
    socket_path: Optional[str] = None,
    *,
    ready_timeout: Optional[float] = DEFAULT_READY_TIMEOUT,
    default_timeout: Optional[float] = DEFAULT_CALL_TIMEOUT,
    key_ref: Optional[str] = None,
    model: Optional[str] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> Client:
    """Connects to the daemon's Unix socket and returns a :class:`Client`.

    ``socket_path``: None → ``$SIDECAR_SOCKET`` → ``/var/run/sidecar/sidecar.sock``.
    ``ready_timeout``: seconds to wait for the daemon to report SERVING (grpc.health.v1);
    None skips the wait. Raises :class:`NotReadyError` when it passes.
    ``default_timeout``: deadline in seconds of calls made without ``timeout=``; None turns it
    off. ``key_ref`` / ``model``: filled into requests that leave them empty (a request's own
    value wins). ``options``: extra gRPC channel options.
    """
    path = resolve_socket_path(socket_path)
    raw = grpc.insecure_channel("unix:" + path, options=channel_options(options))
    try:
        if ready_timeout is not None:
            try:
                wait_until_serving(raw, ready_timeout)
            except NotReadyError as e:
                raise NotReadyError(f"sidecar: daemon at {path} not ready: {e}") from e.__cause__
        channel = raw
        if default_timeout or key_ref or model:
            channel = grpc.intercept_channel(raw, _Defaults(default_timeout or None, key_ref, model))
    except BaseException:
        raw.close()
        raise
    return Client(channel, raw, path)
