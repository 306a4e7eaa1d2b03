"""Rich error details of the Sidecar daemon.

The daemon ends failed calls with a gRPC status whose ``grpc-status-details-bin`` trailer holds a
``google.rpc.Status`` with details: ``ErrorInfo`` (a stable ``reason``, domain ``sidecar``),
``RetryInfo`` (how long to wait before retrying) and ``BadRequest`` (which request fields are
wrong). These helpers read them from a ``grpc.RpcError`` (unary call errors and errors raised
while iterating a stream alike). Each returns ``None`` / ``[]`` when the detail is absent.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Type, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from sidecar_client._protos import error_details_pb2, errors_pb2, status_pb2

#: The trailer that carries the serialized google.rpc.Status.
STATUS_DETAILS_KEY = "grpc-status-details-bin"
#: ErrorInfo.domain of every error the daemon itself reports.
ERROR_DOMAIN = "sidecar"

# The ErrorInfo reasons the daemon sends (docs/design.md, "Errors"): the names of the values of the
# contract's sidecar.v1.ErrorReason enum (protos/sidecar/v1/errors.proto, which says when each is
# sent), read from the generated errors_pb2 so that they cannot drift from the contract.
_name = errors_pb2.ErrorReason.Name
INVALID_REQUEST: str = _name(errors_pb2.INVALID_REQUEST)  # INVALID_ARGUMENT: fix the request; see field_violations()
KEY_REF_NOT_FOUND: str = _name(errors_pb2.KEY_REF_NOT_FOUND)  # NOT_FOUND: no such key_ref configured
KEY_REF_FORBIDDEN: str = _name(errors_pb2.KEY_REF_FORBIDDEN)  # PERMISSION_DENIED: this process may not use the key_ref
MODEL_NOT_ALLOWED: str = _name(errors_pb2.MODEL_NOT_ALLOWED)  # PERMISSION_DENIED: the model is not in the allow-list
KEY_UNAVAILABLE: str = _name(errors_pb2.KEY_UNAVAILABLE)  # FAILED_PRECONDITION: the daemon cannot read the secret
UPSTREAM_AUTH: str = _name(errors_pb2.UPSTREAM_AUTH)  # UNAUTHENTICATED: the provider refused the key
UPSTREAM_REJECTED: str = _name(errors_pb2.UPSTREAM_REJECTED)  # INVALID_ARGUMENT / NOT_FOUND from the provider
UPSTREAM_RATE_LIMITED: str = _name(errors_pb2.UPSTREAM_RATE_LIMITED)  # RESOURCE_EXHAUSTED + RetryInfo
LOCAL_LIMIT: str = _name(errors_pb2.LOCAL_LIMIT)  # RESOURCE_EXHAUSTED + RetryInfo
UPSTREAM_UNAVAILABLE: str = _name(errors_pb2.UPSTREAM_UNAVAILABLE)  # UNAVAILABLE + RetryInfo
CIRCUIT_OPEN: str = _name(errors_pb2.CIRCUIT_OPEN)  # UNAVAILABLE + RetryInfo
UPSTREAM_STREAM_BROKEN: str = _name(errors_pb2.UPSTREAM_STREAM_BROKEN)  # UNAVAILABLE + RetryInfo: stream broke mid-answer
SHUTTING_DOWN: str = _name(errors_pb2.SHUTTING_DOWN)  # UNAVAILABLE + RetryInfo: the daemon is stopping
SHARED_LIMIT: str = _name(errors_pb2.SHARED_LIMIT)  # RESOURCE_EXHAUSTED + RetryInfo: a limit shared through Redis
BUDGET_EXHAUSTED: str = _name(errors_pb2.BUDGET_EXHAUSTED)  # RESOURCE_EXHAUSTED + RetryInfo (budget reset): no auto-retry
INTERNAL: str = _name(errors_pb2.INTERNAL)  # INTERNAL: the daemon failed unexpectedly (its log has the details)
SHARED_STATE_UNAVAILABLE: str = _name(errors_pb2.SHARED_STATE_UNAVAILABLE)  # UNAVAILABLE + RetryInfo: Redis away, FailMode closed

#: Every reason the daemon may send, in the contract's order (ERROR_REASON_UNSPECIFIED is never sent).
REASONS: Tuple[str, ...] = tuple(
    _name(n) for n in sorted(int(v.number) for v in errors_pb2.ErrorReason.DESCRIPTOR.values if v.number != 0)
)

ErrorInfo = error_details_pb2.ErrorInfo
RetryInfo = error_details_pb2.RetryInfo
BadRequest = error_details_pb2.BadRequest
FieldViolation = error_details_pb2.BadRequest.FieldViolation

M = TypeVar("M", bound=Message)


def rich_status(error: Any) -> Optional[status_pb2.Status]:
    """The google.rpc.Status from the error's trailers, or None (also for non-gRPC errors)."""
    trailing = getattr(error, "trailing_metadata", None)
    if not callable(trailing):
        return None
    try:
        metadata = trailing()
    except Exception:  # a call object that never started has no trailers
        return None
    for key, value in metadata or ():
        if key == STATUS_DETAILS_KEY:
            status = status_pb2.Status()
            try:
                status.ParseFromString(value if isinstance(value, bytes) else bytes(value))
            except (DecodeError, TypeError):
                return None
            return status
    return None


def details(error: Any, message_type: Type[M]) -> List[M]:
    """Every detail of the given type (e.g. ``ErrorInfo``) in the error's google.rpc.Status."""
    status = rich_status(error)
    if status is None:
        return []
    out: List[M] = []
    for any_detail in status.details:
        if any_detail.Is(message_type.DESCRIPTOR):
            detail = message_type()
            if any_detail.Unpack(detail):
                out.append(detail)
    return out


def error_info(error: Any) -> Optional[ErrorInfo]:
    """The google.rpc.ErrorInfo detail, or None."""
    found = details(error, ErrorInfo)
    return found[0] if found else None


def error_reason(error: Any) -> Optional[str]:
    """The ErrorInfo reason (e.g. ``"KEY_REF_NOT_FOUND"``), or None when the error has none
    (errors made by gRPC itself, such as DEADLINE_EXCEEDED, carry none)."""
    info = error_info(error)
    return info.reason if info is not None else None


def retry_delay(error: Any) -> Optional[float]:
    """Seconds the daemon asks to wait before retrying (google.rpc.RetryInfo), or None when it
    does not suggest that a retry helps. With ``BUDGET_EXHAUSTED`` it is the time until the budget
    resets; :func:`is_retryable` tells whether an automatic retry makes sense."""
    for info in details(error, RetryInfo):
        if info.HasField("retry_delay"):
            d = info.retry_delay  # google.protobuf.Duration, untyped here
            seconds: int = d.seconds
            nanos: int = d.nanos
            return max(0.0, seconds + nanos / 1e9)
    return None


def is_retryable(error: Any) -> bool:
    """Whether the same call is worth retrying automatically after :func:`retry_delay`: the daemon
    attached a RetryInfo, and the reason is not ``BUDGET_EXHAUSTED`` (whose RetryInfo says when the
    key_ref's daily or monthly token budget resets, which may be hours away)."""
    return retry_delay(error) is not None and error_reason(error) != BUDGET_EXHAUSTED


def field_violations(error: Any) -> List[FieldViolation]:
    """The google.rpc.BadRequest field violations (``.field`` like ``"messages[0].role"``,
    ``.description``), or an empty list."""
    out: List[FieldViolation] = []
    for bad in details(error, BadRequest):
        out.extend(bad.field_violations)
    return out


def code_name(error: Any) -> str:
    """The canonical status code name (``"NOT_FOUND"``, ``"CANCELLED"``, ...), ``"UNKNOWN"`` for
    errors that are not gRPC errors."""
    code = getattr(error, "code", None)
    if callable(code):
        try:
            c = code()
        except Exception:
            c = None
        if isinstance(c, grpc.StatusCode):
            return str(c.name)
    return "UNKNOWN"


def describe(error: Any) -> str:
    """A one-line summary: code, reason, retry delay, field violations and the message."""
    parts = [code_name(error)]
    reason = error_reason(error)
    if reason:
        parts.append(f"({reason})")
    text = " ".join(parts)
    details_fn = getattr(error, "details", None)
    message = details_fn() if callable(details_fn) else str(error)
    if message:
        text += f": {message}"
    delay = retry_delay(error)
    if delay is not None:
        text += f"; budget resets in {delay:g}s" if reason == BUDGET_EXHAUSTED else f"; retry in {delay:g}s"
    violations = [f"{v.field}: {v.description}" for v in field_violations(error)]
    violations = [v for v in violations if v not in (message or "")]  # the message may list them already
    if violations:
        text += "; " + ", ".join(violations)
    return text
