"""sidecar_client.aio against the in-process fake daemon on a real Unix socket."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from test_client import TOOL_DELTA_ANSWER, FakeHealth, fake_daemon, user  # noqa: F401

import sidecar_client as sc
from sidecar_client import aio
from sidecar_client import completions_pb2 as pb


def run(coro):
    return asyncio.run(coro)


def test_connect_waits_until_serving(fake_daemon):
    health = FakeHealth(serving=False)
    path = fake_daemon(health)

    async def scenario():
        connecting = asyncio.ensure_future(aio.connect(path, ready_timeout=60))
        # The daemon answered NOT_SERVING at least once; only then does it become ready.
        while not health.checked.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        assert not connecting.done(), "connect returned before SERVING"
        health.serving = True
        async with await connecting as client:
            resp = await client.complete(pb.CompleteRequest(key_ref="k", model="m", messages=user("hi")))
            return resp.message.content

    assert run(scenario()) == "hi"
    assert health.services[0] == sc.HEALTH_SERVICE


def test_connect_gives_up_with_clear_error(tmp_path, fake_daemon):
    missing = str(tmp_path / "nobody-listens.sock")
    with pytest.raises(sc.NotReadyError) as info:
        run(aio.connect(missing, ready_timeout=0.2))
    assert missing in str(info.value) and "not ready" in str(info.value)
    with pytest.raises(sc.NotReadyError, match="NOT_SERVING"):
        run(aio.connect(fake_daemon(FakeHealth(serving=False)), ready_timeout=0.2))
    with pytest.raises(sc.NotReadyError, match="grpc.health.v1"):
        run(aio.connect(fake_daemon(None), ready_timeout=60))


def test_default_deadline(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))
    req = pb.CompleteRequest(key_ref="k", model="deadline", messages=user("x"))

    async def scenario():
        async with await aio.connect(path, default_timeout=30) as client:
            unary = (await client.complete(req)).id
            stream = [c.id async for c in client.stream_complete(req)]
            own = (await client.complete(req, timeout=3600)).id
        async with await aio.connect(path, default_timeout=None) as client:
            off = (await client.complete(req)).id
        return unary, stream, own, off

    unary, stream, own, off = run(scenario())
    assert unary != "none" and 0 < float(unary) < 60
    assert len(stream) == 1 and stream[0] != "none" and 0 < float(stream[0]) < 60
    assert float(own) > 60, "the caller's own timeout must win"
    assert off == "none"


def test_rich_errors_and_helpers(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))

    async def scenario():
        async with await aio.connect(path) as client:
            with pytest.raises(grpc.RpcError) as unary:
                await client.complete(pb.CompleteRequest(key_ref="k", model="rate-limited", messages=user("x")))
            with pytest.raises(grpc.RpcError) as invalid:
                await client.complete(pb.CompleteRequest(key_ref="k", model="invalid", messages=user("x")))
            seen = []
            with pytest.raises(grpc.RpcError) as stream:
                async for chunk in client.stream_complete(
                    pb.CompleteRequest(key_ref="k", model="rate-limited-after-one", messages=user("x"))
                ):
                    seen.append(chunk.content_delta)
            return unary.value, invalid.value, stream.value, seen

    unary, invalid, stream, seen = run(scenario())
    assert isinstance(unary, grpc.aio.AioRpcError)
    assert sc.describe(unary) == "RESOURCE_EXHAUSTED (UPSTREAM_RATE_LIMITED): upstream rate limit; retry in 2.5s"
    assert sc.error_info(unary).domain == sc.ERROR_DOMAIN
    assert sc.code_name(invalid) == "INVALID_ARGUMENT" and sc.retry_delay(invalid) is None
    assert [v.field for v in sc.field_violations(invalid)] == ["messages[0].role"]
    assert seen == ["partial"]
    assert sc.error_reason(stream) == "UPSTREAM_RATE_LIMITED" and sc.retry_delay(stream) == 2.5


def test_accumulate_and_defaults(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))

    async def scenario():
        async with await aio.connect(path, key_ref="team-a", model="echo-fields") as client:
            req = pb.CompleteRequest(messages=user("x"))
            unary = (await client.complete(req)).id
            own = (await client.complete(pb.CompleteRequest(model="own-model-is-kept", key_ref="k", messages=user("x")))).message.content
            streamed = (await aio.accumulate(client.stream_complete(req))).id
            merged = await aio.accumulate(client.stream_complete(pb.CompleteRequest(model="tool-deltas", messages=user("x"))))
            with pytest.raises(sc.StreamIncompleteError):
                await aio.accumulate(client.stream_complete(pb.CompleteRequest(model="no-finish", messages=user("x"))))
            return req, unary, own, streamed, merged

    req, unary, own, streamed, merged = run(scenario())
    assert unary == "team-a/echo-fields" and streamed == "team-a/echo-fields"
    assert own == "x", "a request's own model must win over the default"
    assert req.key_ref == "" and req.model == "", "the caller's request was changed"
    assert merged == TOOL_DELTA_ANSWER


def test_stream_is_the_call_cancel_stops_it(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))

    async def scenario():
        async with await aio.connect(path) as client:
            call = client.stream_complete(pb.CompleteRequest(key_ref="k", model="endless", messages=user("x")))
            first = await call.__aiter__().__anext__()
            assert not call.done()
            assert call.cancel()
            with pytest.raises(asyncio.CancelledError):
                async for _ in call:
                    pass
            return first.content_delta, call.cancelled(), await call.code()

    assert run(scenario()) == ("tick ", True, grpc.StatusCode.CANCELLED)
