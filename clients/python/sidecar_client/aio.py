"""The Sidecar client on ``grpc.aio`` (asyncio): the same readiness wait, default deadline,
default key_ref / model and error helpers as the blocking client.

    import sidecar_client as sc
    from sidecar_client import aio, completions_pb2 as pb

    async with await aio.connect(key_ref="team-a", model="gpt-4o-mini") as client:
        resp = await client.complete(pb.CompleteRequest(messages=[pb.Message(role=pb.ROLE_USER, content="hi")]))
        call = client.stream_complete(request)
        async for chunk in call:          # call.cancel() stops it
            ...

Errors are ``grpc.aio.AioRpcError`` (a ``grpc.RpcError``); ``sc.error_reason(e)``,
``sc.retry_delay(e)``, ``sc.field_violations(e)`` and ``sc.describe(e)`` read them as they read
the blocking client's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterable, AsyncIterator, Optional, Protocol, Sequence, Tuple, cast

import grpc
import grpc.aio

from sidecar_client._protos import completions_pb2, completions_pb2_grpc, health_pb2
from sidecar_client.accumulate import Accumulator, StreamIncompleteError
from sidecar_client.client import (
    _HEALTH_CHECK,
    _NO_HEALTH,
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_READY_TIMEOUT,
    NotReadyError,
    _health_request,
    _not_serving,
    channel_options,
    resolve_socket_path,
    with_defaults,
)

__all__ = ["AsyncClient", "AsyncCompleteStream", "accumulate", "connect", "wait_until_serving"]


class AsyncCompleteStream(Protocol):
    """What :meth:`AsyncClient.stream_complete` returns: gRPC's asyncio call object, an async
    iterator of chunks that is also the call (cancel it, await its status and metadata)."""

    def __aiter__(self) -> AsyncIterator[completions_pb2.CompleteChunk]: ...

    def cancel(self) -> bool:
        """Stops the stream; iterating then raises ``asyncio.CancelledError``."""

    def cancelled(self) -> bool: ...

    def done(self) -> bool: ...

    def time_remaining(self) -> Optional[float]: ...

    async def code(self) -> grpc.StatusCode: ...

    async def details(self) -> str: ...

    async def initial_metadata(self) -> Any: ...

    async def trailing_metadata(self) -> Any: ...


def _with_timeout(details: Any, timeout: Optional[float]) -> Any:
    if details.timeout is not None or timeout is None:
        return details
    return details._replace(timeout=timeout)


class _UnaryDefaults(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]  # grpc is untyped
    def __init__(self, timeout: Optional[float], key_ref: Optional[str], model: Optional[str]) -> None:
        self._timeout, self._key_ref, self._model = timeout, key_ref, model

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(
            _with_timeout(client_call_details, self._timeout), with_defaults(request, self._key_ref, self._model)
        )


class _StreamDefaults(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]  # grpc is untyped
    def __init__(self, timeout: Optional[float], key_ref: Optional[str], model: Optional[str]) -> None:
        self._timeout, self._key_ref, self._model = timeout, key_ref, model

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(
            _with_timeout(client_call_details, self._timeout), with_defaults(request, self._key_ref, self._model)
        )


class AsyncClient:
    """A connection to the daemon on ``grpc.aio``: ``await complete(...)``, ``stream_complete``
    (an async iterator that is also the call), ``stub`` (the generated ``CompletionsStub``) and
    ``channel``. Use it from one event loop; ``await close()`` it (or ``async with``)."""

    def __init__(self, channel: grpc.aio.Channel, socket_path: str) -> None:
        self.channel = channel
        self.socket_path = socket_path
        self.stub = completions_pb2_grpc.CompletionsStub(channel)

    async def complete(
        self, request: completions_pb2.CompleteRequest, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> completions_pb2.CompleteResponse:
        """The whole answer (``Completions/Complete``). Raises ``grpc.aio.AioRpcError``."""
        return cast(completions_pb2.CompleteResponse, await self.stub.Complete(request, timeout=timeout, **kwargs))

    def stream_complete(
        self, request: completions_pb2.CompleteRequest, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> AsyncCompleteStream:
        """The chunks of ``Completions/StreamComplete`` (``async for``); the last one carries
        ``finish_reason`` and ``usage``. ``.cancel()`` stops the stream; errors are raised while
        iterating. ``await sidecar_client.aio.accumulate(stream)`` merges it into one answer."""
        return cast(AsyncCompleteStream, self.stub.StreamComplete(request, timeout=timeout, **kwargs))

    async def close(self, grace: Optional[float] = None) -> None:
        """Closes the channel; calls in flight end with CANCELLED (after ``grace`` seconds)."""
        await self.channel.close(grace)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def wait_until_serving(channel: grpc.aio.Channel, timeout: float) -> None:
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
            resp = await check(_health_request(), timeout=remaining, wait_for_ready=True)
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return
            last = _not_serving(resp)
        except grpc.aio.AioRpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise NotReadyError(_NO_HEALTH) from e
            # Keep an earlier, more telling answer over the final "deadline exceeded".
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED or last == "no answer":
                last = f"{e.code().name}: {e.details()}"
        await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        pause = min(pause * 2, 1.0)


async def connect(
    socket_path: Optional[str] = None,
    *,
    ready_timeout: Optional[float] = DEFAULT_READY_TIMEOUT,
    default_timeout: Optional[float] = DEFAULT_CALL_TIMEOUT,
    key_ref: Optional[str] = None,
    model: Optional[str] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> AsyncClient:
    """Connects to the daemon's Unix socket and returns an :class:`AsyncClient`; the arguments
    are those of :func:`sidecar_client.connect`. Raises :class:`sidecar_client.NotReadyError`
    when the daemon does not report SERVING within ``ready_timeout`` seconds."""
    path = resolve_socket_path(socket_path)
    interceptors = []
    if default_timeout or key_ref or model:
        timeout = default_timeout or None
        interceptors = [_UnaryDefaults(timeout, key_ref, model), _StreamDefaults(timeout, key_ref, model)]
    channel = grpc.aio.insecure_channel("unix:" + path, options=channel_options(options), interceptors=interceptors)
    try:
        if ready_timeout is not None:
            try:
                await wait_until_serving(channel, ready_timeout)
            except NotReadyError as e:
                raise NotReadyError(f"sidecar: daemon at {path} not ready: {e}") from e.__cause__
    except BaseException:
        await channel.close()
        raise
    return AsyncClient(channel, path)


async def accumulate(stream: AsyncIterable[completions_pb2.CompleteChunk]) -> completions_pb2.CompleteResponse:
    """Reads the stream to its end and returns the merged answer (see
    :class:`sidecar_client.Accumulator`). Errors of the stream propagate; a stream that ends
    without a finish reason raises :class:`sidecar_client.StreamIncompleteError`."""
    acc = Accumulator()
    async for chunk in stream:
        acc.add(chunk)
    if not acc.done:
        raise StreamIncompleteError("the stream ended without a finish reason")
    return acc.response()
