"""The README's retry loop and tool loop, verbatim, so the README cannot drift from code that
works: the retry loop against the in-process fake, the tool loop against the live daemon of
tests/conformance/with-daemon.sh (skipped without $SIDECAR_SOCKET)."""

from __future__ import annotations

import os
import time

import grpc
import pytest
import test_client
from test_client import FakeHealth, fake_daemon, user  # noqa: F401

import sidecar_client as sc
from sidecar_client import completions_pb2 as pb


def complete_with_retry(client: sc.Client, request: pb.CompleteRequest, attempts: int = 4) -> pb.CompleteResponse:
    """At most `attempts` calls, waiting what the daemon asks between them."""
    for attempt in range(1, attempts + 1):
        try:
            return client.complete(request)
        except grpc.RpcError as e:
            if not sc.is_retryable(e) or attempt == attempts:
                raise
            time.sleep(sc.retry_delay(e) or 0.0)
    raise AssertionError("unreachable")


def test_readme_retry_retries_on_retry_info_only(fake_daemon):
    test_client.CALLS.clear()
    with sc.connect(fake_daemon(FakeHealth(serving=True))) as client:
        resp = complete_with_retry(client, pb.CompleteRequest(key_ref="k", model="flaky", messages=user("again")))
        assert resp.message.content == "again"
        assert test_client.CALLS["flaky"] == 2, "one UNAVAILABLE with RetryInfo, then the answer"
        with pytest.raises(grpc.RpcError) as info:
            complete_with_retry(client, pb.CompleteRequest(key_ref="k", model="rejected", messages=user("x")))
        assert sc.error_reason(info.value) == "UPSTREAM_REJECTED"
        assert test_client.CALLS["rejected"] == 1, "an error without RetryInfo was retried"


def run_tool(name: str, arguments_json: str) -> str:
    return '{"temp_c":21,"tool":"%s"}' % name


@pytest.mark.skipif(not os.environ.get(sc.SOCKET_ENV), reason="no live daemon ($SIDECAR_SOCKET unset)")
def test_readme_tool_loop_against_the_live_daemon():
    client = sc.connect(key_ref="fake", model="fake-tools")
    answers = []
    print = answers.append  # noqa: A001 - the README prints the final answer

    request = pb.CompleteRequest(
        messages=[pb.Message(role=pb.ROLE_USER, content="What is the weather in Paris?")],
        tools=[pb.Tool(
            name="get_weather",
            description="Current weather in a city",
            parameters_json_schema='{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}',
        )],
        tool_choice=pb.ToolChoice(mode=pb.TOOL_CHOICE_MODE_AUTO),
    )
    for _ in range(5):                                  # bound the number of turns
        resp = client.complete(request)
        if resp.finish_reason != pb.FINISH_REASON_TOOL_CALLS:
            print(resp.message.content)                 # the final answer
            break
        request.messages.append(resp.message)           # the assistant turn, tool calls included
        for call in resp.message.tool_calls:
            result = run_tool(call.name, call.arguments_json)   # your code; returns JSON text
            request.messages.append(pb.Message(role=pb.ROLE_TOOL, tool_call_id=call.id, content=result))
        request.ClearField("tool_choice")               # after the first turn, let the model answer

    client.close()
    assert answers == ['tool call_1 said: {"temp_c":21,"tool":"get_weather"}']
    assert [m.role for m in request.messages] == [pb.ROLE_USER, pb.ROLE_ASSISTANT, pb.ROLE_TOOL]
    assert request.messages[2].tool_call_id == "call_1"
