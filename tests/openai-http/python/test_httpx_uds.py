"""Debian's python3-httpx over the daemon's openai.sock: the transport the OpenAI Python SDK uses
(``openai.OpenAI(http_client=httpx.Client(transport=httpx.HTTPTransport(uds=...)))``, README "Use it
from an existing OpenAI agent"). The SDK itself is not packaged here, so these tests speak its wire
format through the same httpx client: unary, streaming with usage, and the error shape."""

import json
import os
from pathlib import Path

import httpx
import pytest


def openai_socket() -> str:
    if os.environ.get("SIDECAR_OPENAI_SOCKET"):
        return os.environ["SIDECAR_OPENAI_SOCKET"]
    grpc_socket = os.environ.get("SIDECAR_SOCKET")
    if not grpc_socket:
        pytest.fail("set SIDECAR_SOCKET (run through tests/conformance/with-daemon.sh) or SIDECAR_OPENAI_SOCKET")
    # The daemon's default: openai.sock in the gRPC socket's directory.
    return str(Path(grpc_socket).parent / "openai.sock")


@pytest.fixture
def client():
    # What the OpenAI Python SDK's http_client= gets; the SDK adds base_url and the bearer itself.
    with httpx.Client(
        transport=httpx.HTTPTransport(uds=openai_socket()),
        base_url="http://localhost/v1",
        headers={"Authorization": "Bearer fake"},  # the key_ref, never a secret
        timeout=30.0,
    ) as http:
        yield http


def sse_events(response: httpx.Response):
    """The data lines of a text/event-stream, as the SDK's SSE decoder reads them."""
    event = None
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[len("event:"):].strip()
        elif line.startswith("data:"):
            yield event, line[len("data:"):].strip()
            event = None


def test_unary_answersAChatCompletion(client):
    response = client.post("/chat/completions", json={
        "model": "fake-1",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "ping"}],
        "temperature": 0.2,
        "max_tokens": 16,
    })

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "fake-1"
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "fake: ping"
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 3
    assert body["usage"]["completion_tokens"] == 2
    assert body["usage"]["total_tokens"] == 5


def test_stream_withIncludeUsage_sendsChunksFinishUsageThenDone(client):
    request = {
        "model": "fake-1",
        "messages": [{"role": "user", "content": "one two three"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with client.stream("POST", "/chat/completions", json=request) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))

    assert [event for event, _ in events] == [None] * len(events), "no error event"
    assert events[-1][1] == "[DONE]"
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk["id"] for chunk in chunks}) == 1

    text = "".join(c["delta"].get("content") or "" for chunk in chunks for c in chunk["choices"])
    assert text == "fake: one two three"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    finishes = [(i, c["finish_reason"]) for i, chunk in enumerate(chunks) for c in chunk["choices"] if c.get("finish_reason")]
    assert [reason for _, reason in finishes] == ["stop"]

    # Usage comes once, in the last chunk, with no choices, after the finish reason.
    with_usage = [i for i, chunk in enumerate(chunks) if chunk.get("usage")]
    assert with_usage == [len(chunks) - 1]
    assert chunks[-1]["choices"] == []
    assert finishes[0][0] < with_usage[0]
    assert chunks[-1]["usage"]["prompt_tokens"] == 3
    assert chunks[-1]["usage"]["completion_tokens"] == 4
    assert chunks[-1]["usage"]["total_tokens"] == 7


def test_stream_brokenUpstream_endsWithAnErrorEventNotDone(client):
    request = {"model": "fake-reset", "messages": [{"role": "user", "content": "one two three four"}], "stream": True}
    with client.stream("POST", "/chat/completions", json=request) as response:
        assert response.status_code == 200
        events = list(sse_events(response))

    assert all(data != "[DONE]" for _, data in events)
    event, data = events[-1]
    assert event == "error"
    assert json.loads(data)["error"]["code"] == "upstream_stream_broken"


@pytest.mark.parametrize(
    "headers, model, status, reason, error_type",
    [
        # An unknown key_ref (the API key is the key_ref).
        ({"Authorization": "Bearer nobody"}, "fake-1", 404, "KEY_REF_NOT_FOUND", "invalid_request_error"),
        # The caller's own timeout header, on an upstream that never answers.
        ({"X-Sidecar-Timeout": "300ms"}, "fake-hang", 504, "DEADLINE_EXCEEDED", "server_error"),
    ],
)
def test_refusedCall_isItsStatusInOpenAIsErrorShape(client, headers, model, status, reason, error_type):
    response = client.post(
        "/chat/completions",
        headers=headers,
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
    )

    assert response.status_code == status
    assert response.headers["x-sidecar-reason"] == reason
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == error_type
    assert error["code"] == reason.lower()


def test_models_listsTheUpstreamsModelsForAKeyRefWithoutAllowList(client):
    response = client.get("/models")

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert sorted(model["id"] for model in body["data"]) == ["fake-1", "fake-tools"]
