"""The stream accumulator, the client-level defaults and the stream's call type (blocking client)."""

from __future__ import annotations

import grpc
import pytest
from test_client import TOOL_DELTA_ANSWER, TOOL_DELTA_CHUNKS, FakeHealth, fake_daemon, user  # noqa: F401

import sidecar_client as sc
from sidecar_client import completions_pb2 as pb


def test_accumulate_merges_tool_call_deltas_by_index(fake_daemon):
    with sc.connect(fake_daemon(FakeHealth(serving=True))) as client:
        got = sc.accumulate(client.stream_complete(pb.CompleteRequest(key_ref="k", model="tool-deltas", messages=user("x"))))
    assert got == TOOL_DELTA_ANSWER


def test_accumulator_not_done_before_the_last_chunk():
    acc = sc.Accumulator()
    assert not acc.done and acc.response() == pb.CompleteResponse(message=pb.Message(role=pb.ROLE_ASSISTANT))
    for chunk in TOOL_DELTA_CHUNKS[:-1]:
        acc.add(chunk)
    assert not acc.done
    assert acc.response().finish_reason == pb.FINISH_REASON_UNSPECIFIED
    assert not acc.response().HasField("usage")
    assert not acc.response().HasField("served_by")
    acc.add(TOOL_DELTA_CHUNKS[-1])
    assert acc.done and acc.response() == TOOL_DELTA_ANSWER


def test_accumulate_stream_without_finish_reason_raises(fake_daemon):
    with sc.connect(fake_daemon(FakeHealth(serving=True))) as client:
        with pytest.raises(sc.StreamIncompleteError):
            sc.accumulate(client.stream_complete(pb.CompleteRequest(key_ref="k", model="no-finish", messages=user("x"))))


def test_accumulate_stream_error_propagates_with_details(fake_daemon):
    with sc.connect(fake_daemon(FakeHealth(serving=True))) as client:
        with pytest.raises(grpc.RpcError) as info:
            sc.accumulate(
                client.stream_complete(pb.CompleteRequest(key_ref="k", model="rate-limited-after-one", messages=user("x")))
            )
    assert sc.error_reason(info.value) == "UPSTREAM_RATE_LIMITED" and sc.retry_delay(info.value) == 2.5


def test_default_key_ref_and_model_fill_only_empty_fields(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))
    with sc.connect(path, key_ref="team-a", model="echo-fields") as client:
        req = pb.CompleteRequest(messages=user("x"))
        assert client.complete(req).id == "team-a/echo-fields"
        assert req.key_ref == "" and req.model == "", "the caller's request was changed"
        assert client.complete(pb.CompleteRequest(key_ref="own", messages=user("x"))).id == "own/echo-fields"
        assert sc.accumulate(client.stream_complete(req)).id == "team-a/echo-fields"
        # The generated stub goes through the same channel, so it gets the defaults too.
        assert client.stub.Complete(req).id == "team-a/echo-fields"
    # Defaults without a default deadline.
    with sc.connect(path, default_timeout=None, key_ref="team-b") as client:
        assert client.complete(pb.CompleteRequest(model="echo-fields", messages=user("x"))).id == "team-b/echo-fields"
    with sc.connect(path) as client:
        assert client.complete(pb.CompleteRequest(model="echo-fields", messages=user("x"))).id == "/echo-fields"


def test_stream_is_the_call_cancel_stops_it(fake_daemon):
    with sc.connect(fake_daemon(FakeHealth(serving=True))) as client:
        call = client.stream_complete(pb.CompleteRequest(key_ref="k", model="endless", messages=user("x")))
        assert next(call).content_delta == "tick "
        assert call.is_active()
        assert call.cancel()
        with pytest.raises(grpc.RpcError) as info:
            for _ in call:
                pass
        assert info.value.code() == grpc.StatusCode.CANCELLED
        assert call.code() == grpc.StatusCode.CANCELLED
