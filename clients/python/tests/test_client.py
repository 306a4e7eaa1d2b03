"""Unit tests of the client against an in-process fake daemon on a real Unix socket."""

from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
import pytest
from google.protobuf import duration_pb2

import sidecar_client as sc
from sidecar_client import completions_pb2 as pb
from sidecar_client import completions_pb2_grpc as pb_grpc
from sidecar_client._protos import error_details_pb2, health_pb2, status_pb2

# ---- socket path resolution ---------------------------------------------------------------------


def test_resolve_socket_path(monkeypatch):
    monkeypatch.delenv(sc.SOCKET_ENV, raising=False)
    assert sc.resolve_socket_path() == sc.DEFAULT_SOCKET_PATH == "/var/run/sidecar/sidecar.sock"
    monkeypatch.setenv(sc.SOCKET_ENV, "")
    assert sc.resolve_socket_path(None) == sc.DEFAULT_SOCKET_PATH
    monkeypatch.setenv(sc.SOCKET_ENV, "/run/from-env.sock")
    assert sc.resolve_socket_path() == "/run/from-env.sock"
    assert sc.resolve_socket_path("/explicit.sock") == "/explicit.sock"


# ---- a fake daemon --------------------------------------------------------------------------------


def rich_abort(context, code, message, *details):
    status = status_pb2.Status(code=code.value[0], message=message)
    for d in details:
        status.details.add().Pack(d)
    context.set_trailing_metadata(((sc.errors.STATUS_DETAILS_KEY, status.SerializeToString()),))
    context.abort(code, message)


def rate_limited(context):
    rich_abort(
        context,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "upstream rate limit",
        error_details_pb2.ErrorInfo(reason="UPSTREAM_RATE_LIMITED", domain="sidecar"),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000)),
    )


def deadline_info(context) -> str:
    remaining = context.time_remaining()
    # The Python server reports about 2**63 ns for "no deadline".
    return "none" if remaining is None or remaining > 1e9 else repr(remaining)


# A stream with text, two tool calls whose pieces interleave (index 1 starts first), and usage
# and a finish reason on the last chunk.
TOOL_DELTA_CHUNKS = [
    pb.CompleteChunk(id="cmpl-1", model="m-1", content_delta="Let me "),
    pb.CompleteChunk(
        id="cmpl-1",
        model="m-1",
        content_delta="check.",
        tool_call_deltas=[pb.ToolCallDelta(index=1, id="call_b", name="get_time", arguments_delta='{"tz":')],
    ),
    pb.CompleteChunk(
        id="cmpl-1",
        tool_call_deltas=[
            pb.ToolCallDelta(index=0, id="call_a", name="get_weather", arguments_delta='{"city"'),
            pb.ToolCallDelta(index=1, arguments_delta='"UTC"}'),
        ],
    ),
    pb.CompleteChunk(id="cmpl-1", tool_call_deltas=[pb.ToolCallDelta(index=0, arguments_delta=':"Paris"}')]),
    pb.CompleteChunk(
        id="cmpl-1",
        finish_reason=pb.FINISH_REASON_TOOL_CALLS,
        usage=pb.Usage(prompt_tokens=5, completion_tokens=7, total_tokens=12),
        served_by=pb.ServedBy(key_ref="pool-b", model="m-1-2024", attempts=2),
    ),
]

TOOL_DELTA_ANSWER = pb.CompleteResponse(
    id="cmpl-1",
    model="m-1",
    message=pb.Message(
        role=pb.ROLE_ASSISTANT,
        content="Let me check.",
        tool_calls=[
            pb.ToolCall(id="call_a", name="get_weather", arguments_json='{"city":"Paris"}'),
            pb.ToolCall(id="call_b", name="get_time", arguments_json='{"tz":"UTC"}'),
        ],
    ),
    finish_reason=pb.FINISH_REASON_TOOL_CALLS,
    usage=pb.Usage(prompt_tokens=5, completion_tokens=7, total_tokens=12),
    served_by=pb.ServedBy(key_ref="pool-b", model="m-1-2024", attempts=2),
)


# Calls of the "flaky" and "rejected" models, by model.
CALLS = {}


class FakeCompletions(pb_grpc.CompletionsServicer):
    def Complete(self, request, context):
        if request.model == "deadline":
            return pb.CompleteResponse(id=deadline_info(context))
        if request.model == "echo-fields":
            return pb.CompleteResponse(id=f"{request.key_ref}/{request.model}")
        if request.model in ("flaky", "rejected"):
            CALLS[request.model] = CALLS.get(request.model, 0) + 1
        if request.model == "flaky" and CALLS["flaky"] == 1:
            rich_abort(
                context,
                grpc.StatusCode.UNAVAILABLE,
                "upstream down",
                error_details_pb2.ErrorInfo(reason="UPSTREAM_UNAVAILABLE", domain="sidecar"),
                error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=10_000_000)),
            )
        if request.model == "rejected":
            rich_abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "no such model",
                error_details_pb2.ErrorInfo(reason="UPSTREAM_REJECTED", domain="sidecar"),
            )
        if request.model == "rate-limited":
            rate_limited(context)
        if request.model == "invalid":
            rich_abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "bad request",
                error_details_pb2.ErrorInfo(reason="INVALID_REQUEST", domain="sidecar"),
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field="messages[0].role", description="required")
                    ]
                ),
            )
        return pb.CompleteResponse(
            message=pb.Message(role=pb.ROLE_ASSISTANT, content=request.messages[-1].content),
            finish_reason=pb.FINISH_REASON_STOP,
        )

    def StreamComplete(self, request, context):
        if request.model == "deadline":
            yield pb.CompleteChunk(id=deadline_info(context))
            return
        if request.model == "echo-fields":
            yield pb.CompleteChunk(id=f"{request.key_ref}/{request.model}", finish_reason=pb.FINISH_REASON_STOP)
            return
        if request.model == "tool-deltas":
            yield from TOOL_DELTA_CHUNKS
            return
        if request.model == "no-finish":
            yield pb.CompleteChunk(content_delta="cut")
            return
        if request.model == "endless":
            # Until the client cancels (bounded, so a broken cancel fails the test, not the run).
            for _ in range(10_000):
                if not context.is_active():
                    return
                yield pb.CompleteChunk(content_delta="tick ")
                time.sleep(0.001)
            return
        if request.model == "rate-limited-after-one":
            yield pb.CompleteChunk(content_delta="partial")
            rate_limited(context)
        for word in request.messages[0].content.split():
            yield pb.CompleteChunk(content_delta=word)
        yield pb.CompleteChunk(finish_reason=pb.FINISH_REASON_STOP)


class FakeHealth:
    def __init__(self, serving: bool) -> None:
        self.serving = serving
        self.checked = threading.Event()
        self.services = []

    def check(self, request, context):
        self.services.append(request.service)
        self.checked.set()
        status = health_pb2.HealthCheckResponse.SERVING if self.serving else health_pb2.HealthCheckResponse.NOT_SERVING
        return health_pb2.HealthCheckResponse(status=status)

    def handler(self):
        return grpc.method_handlers_generic_handler(
            "grpc.health.v1.Health",
            {
                "Check": grpc.unary_unary_rpc_method_handler(
                    self.check,
                    request_deserializer=health_pb2.HealthCheckRequest.FromString,
                    response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
                )
            },
        )


@pytest.fixture
def fake_daemon(tmp_path):
    """start(health) serves the fake on a fresh socket and returns its path."""
    servers = []

    def start(health):
        path = str(tmp_path / f"sidecar{len(servers)}.sock")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_CompletionsServicer_to_server(FakeCompletions(), server)
        if health is not None:
            server.add_generic_rpc_handlers((health.handler(),))
        server.add_insecure_port("unix:" + path)
        server.start()
        servers.append(server)
        return path

    yield start
    for s in servers:
        s.stop(None)


def user(text):
    return [pb.Message(role=pb.ROLE_USER, content=text)]


# ---- connect and readiness -----------------------------------------------------------------------


def test_connect_waits_until_serving(fake_daemon):
    health = FakeHealth(serving=False)
    path = fake_daemon(health)
    result = {}

    def dial():
        try:
            result["client"] = sc.connect(path, ready_timeout=60)
        except Exception as e:  # reported below
            result["error"] = e

    t = threading.Thread(target=dial)
    t.start()
    assert health.checked.wait(30), "connect never asked the health service"
    assert "client" not in result and "error" not in result, "connect returned before SERVING"
    health.serving = True
    t.join(60)
    assert not t.is_alive()
    assert "error" not in result, result.get("error")
    assert health.services[0] == sc.HEALTH_SERVICE == "sidecar.v1.Completions"
    with result["client"] as client:
        resp = client.complete(pb.CompleteRequest(key_ref="k", model="m", messages=user("hi")))
        assert resp.message.content == "hi"


def test_connect_gives_up_with_clear_error(tmp_path, fake_daemon):
    missing = str(tmp_path / "nobody-listens.sock")
    with pytest.raises(sc.NotReadyError) as info:
        sc.connect(missing, ready_timeout=0.2)
    assert missing in str(info.value) and "not ready" in str(info.value)

    never = fake_daemon(FakeHealth(serving=False))
    with pytest.raises(sc.NotReadyError, match="NOT_SERVING"):
        sc.connect(never, ready_timeout=0.2)


def test_connect_fails_fast_without_health_service(fake_daemon):
    path = fake_daemon(None)
    with pytest.raises(sc.NotReadyError, match="grpc.health.v1"):
        sc.connect(path, ready_timeout=60)


def test_connect_resolves_socket_from_env(fake_daemon, monkeypatch):
    path = fake_daemon(FakeHealth(serving=True))
    monkeypatch.setenv(sc.SOCKET_ENV, path)
    with sc.connect() as client:
        assert client.socket_path == path
        assert list(c.content_delta for c in client.stream_complete(
            pb.CompleteRequest(key_ref="k", model="m", messages=user("a b")))) == ["a", "b", ""]


# ---- default deadline --------------------------------------------------------------------------


def test_default_deadline(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))
    req = pb.CompleteRequest(key_ref="k", model="deadline", messages=user("x"))
    with sc.connect(path, default_timeout=30) as client:
        seen = client.complete(req).id
        assert seen != "none", "unary call without timeout got no deadline"
        # gRPC rounds the encoded timeout up a little; the point is that 30 s and not 1 h applies.
        assert 0 < float(seen) < 60
        chunk = next(iter(client.stream_complete(req)))
        assert chunk.id != "none", "stream without timeout got no deadline"
        assert 0 < float(chunk.id) < 60
        # The caller's own timeout wins, even when longer than the default.
        assert float(client.complete(req, timeout=3600).id) > 60
    with sc.connect(path, default_timeout=None) as client:
        assert client.complete(req).id == "none"


# ---- rich errors over the wire ------------------------------------------------------------------


def test_rich_errors_over_the_wire(fake_daemon):
    path = fake_daemon(FakeHealth(serving=True))
    with sc.connect(path) as client:
        with pytest.raises(grpc.RpcError) as info:
            client.complete(pb.CompleteRequest(key_ref="k", model="rate-limited", messages=user("x")))
        e = info.value
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert sc.error_reason(e) == "UPSTREAM_RATE_LIMITED"
        assert sc.error_info(e).domain == sc.ERROR_DOMAIN
        assert sc.retry_delay(e) == 2.5
        assert sc.field_violations(e) == []
        assert sc.describe(e) == "RESOURCE_EXHAUSTED (UPSTREAM_RATE_LIMITED): upstream rate limit; retry in 2.5s"

        with pytest.raises(grpc.RpcError) as info:
            client.complete(pb.CompleteRequest(key_ref="k", model="invalid", messages=user("x")))
        assert sc.code_name(info.value) == "INVALID_ARGUMENT"
        assert [v.field for v in sc.field_violations(info.value)] == ["messages[0].role"]
        assert sc.retry_delay(info.value) is None

        stream = client.stream_complete(pb.CompleteRequest(key_ref="k", model="rate-limited-after-one", messages=user("x")))
        assert next(stream).content_delta == "partial"
        with pytest.raises(grpc.RpcError) as info:
            next(stream)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert sc.error_reason(info.value) == "UPSTREAM_RATE_LIMITED"
        assert sc.retry_delay(info.value) == 2.5
