"""Error-detail parsing on hand-built statuses (no network)."""

from __future__ import annotations

import grpc
from google.protobuf import duration_pb2

import sidecar_client as sc
from sidecar_client._protos import error_details_pb2, status_pb2


class FakeRpcError(grpc.RpcError):
    """What grpc raises, reduced to the methods the helpers read."""

    def __init__(self, code, message, trailers=()):
        self._code, self._message, self._trailers = code, message, tuple(trailers)

    def code(self):
        return self._code

    def details(self):
        return self._message

    def trailing_metadata(self):
        return self._trailers


def error_with(code, message, *details, extra_trailers=()):
    status = status_pb2.Status(code=code.value[0], message=message)
    for d in details:
        status.details.add().Pack(d)
    trailers = (*extra_trailers, (sc.errors.STATUS_DETAILS_KEY, status.SerializeToString()))
    return FakeRpcError(code, message, trailers)


def test_reason_and_retry_delay():
    e = error_with(
        grpc.StatusCode.UNAVAILABLE,
        "breaker open",
        error_details_pb2.ErrorInfo(reason="CIRCUIT_OPEN", domain="sidecar", metadata={"key_ref": "team-a"}),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1, nanos=250_000_000)),
        extra_trailers=(("x-other", "v"),),
    )
    assert sc.error_reason(e) == "CIRCUIT_OPEN"
    assert sc.error_info(e).metadata["key_ref"] == "team-a"
    assert sc.retry_delay(e) == 1.25
    assert sc.field_violations(e) == []
    assert sc.rich_status(e).message == "breaker open"
    assert sc.code_name(e) == "UNAVAILABLE"


def test_field_violations():
    e = error_with(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid request",
        error_details_pb2.ErrorInfo(reason="INVALID_REQUEST", domain="sidecar"),
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field="messages", description="at least one"),
                error_details_pb2.BadRequest.FieldViolation(field="model", description="required"),
            ]
        ),
    )
    assert [(v.field, v.description) for v in sc.field_violations(e)] == [
        ("messages", "at least one"),
        ("model", "required"),
    ]
    assert sc.retry_delay(e) is None
    assert "messages: at least one" in sc.describe(e)


def test_no_details():
    bare = FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    garbage = FakeRpcError(grpc.StatusCode.INTERNAL, "x", ((sc.errors.STATUS_DETAILS_KEY, b"\xff\xff\xff"),))
    for e in (bare, garbage, ValueError("not grpc"), None):
        assert sc.error_reason(e) is None
        assert sc.error_info(e) is None
        assert sc.retry_delay(e) is None
        assert sc.field_violations(e) == []
    assert sc.code_name(bare) == "DEADLINE_EXCEEDED"
    assert sc.code_name(ValueError("x")) == "UNKNOWN"
    assert sc.code_name(FakeRpcError(grpc.StatusCode.CANCELLED, "")) == "CANCELLED"


def test_generated_modules_import_cleanly():
    # The generated grpc module imports its messages through the package path (no sys.path edits).
    import sys

    from sidecar_client import completions_pb2, completions_pb2_grpc

    assert completions_pb2_grpc.CompletionsStub
    assert completions_pb2.CompleteRequest.DESCRIPTOR.full_name == "sidecar.v1.CompleteRequest"
    assert not any(p.endswith("_gen") for p in sys.path)
    assert "sidecar" not in sys.modules  # nothing imported as a top-level "sidecar" package


def test_reasons_are_the_contracts_error_reason_names():
    # The enum's values by number, read from the generated descriptor; ERROR_REASON_UNSPECIFIED is
    # never sent. A value added to the proto shows up here and must have its module constant.
    values = sorted(sc.errors_pb2.ErrorReason.DESCRIPTOR.values, key=lambda v: v.number)
    want = [v.name for v in values if v.number != 0]
    assert list(sc.REASONS) == want
    for name in want:
        assert getattr(sc.errors, name, None) == name, f"sidecar_client.errors has no constant {name}"
    assert "SHARED_LIMIT" in want and "BUDGET_EXHAUSTED" in want


def resource_exhausted(reason, seconds):
    return error_with(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "limit",
        error_details_pb2.ErrorInfo(reason=reason, domain="sidecar"),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds)),
    )


def test_is_retryable_follows_retry_info_except_for_an_exhausted_budget():
    shared = resource_exhausted(sc.errors.SHARED_LIMIT, 1)
    assert sc.is_retryable(shared) and sc.retry_delay(shared) == 1.0
    budget = resource_exhausted(sc.errors.BUDGET_EXHAUSTED, 18_000)
    assert not sc.is_retryable(budget)
    assert sc.retry_delay(budget) == 18_000.0, "the delay still says when the budget resets"
    assert sc.describe(budget) == "RESOURCE_EXHAUSTED (BUDGET_EXHAUSTED): limit; budget resets in 18000s"
    assert not sc.is_retryable(FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
    assert not sc.is_retryable(None)
