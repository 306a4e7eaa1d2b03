"""Rich error details of the Sidecar daemon.

The daemon ends failed calls with a gRPC status whose ``grpc-status-details-bin`` trailer holds a
``google.rpc.Status`` with details: ``ErrorInfo`` (a stable ``reason``, domain ``sidecar``),
``RetryInfo`` (how long to wait before retrying) and ``BadRequest`` (which request fields are
wrong). These helpers read them from a ``grpc.RpcError`` (unary call errors and errors raised
while iterating a stream alike). Each returns ``None`` / ``[]`` when the detail is absent.
"""

from __future__ import annotations

from typing import Any, List, Optional, Type, TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from sidecar_client._protos import error_details_pb2, status_pb2

#: The trailer that carries the serialized google.rpc.Status.
STATUS_DETAILS_KEY = "grpc-status-details-bin"
#: ErrorInfo.domain of every error the daemon itself reports.
ERROR_DOMAIN = "sidecar"

# Stable ErrorInfo reasons (docs/design.md, "Errors").
INVALID_REQUEST = "INVALID_REQUEST"  # INVALID_ARGUMENT: fix the request; see field_violations()
KEY_REF_NOT_FOUND = "KEY_REF_NOT_FOUND"  # NOT_FOUND: no such key_ref configured
KEY_REF_FORBIDDEN = "KEY_REF_FORBIDDEN"  # PERMISSION_DENIED: this process may not use the key_ref
MODEL_NOT_ALLOWED = "MODEL_NOT_ALLOWED"  # PERMISSION_DENIED: the model is not in the key_ref's allow-list
KEY_UNAVAILABLE = "KEY_UNAVAILABLE"  # FAILED_PRECONDITION: the daemon cannot read the secret
UPSTREAM_AUTH = "UPSTREAM_AUTH"  # UNAUTHENTICATED: the provider refused the key
UPSTREAM_REJECTED = "UPSTREAM_REJECTED"  # INVALID_ARGUMENT / NOT_FOUND from the provider
UPSTREAM_RATE_LIMITED = "UPSTREAM_RATE_LIMITED"  # RESOURCE_EXHAUSTED + RetryInfo
LOCAL_LIMIT = "LOCAL_LIMIT"  # RESOURCE_EXHAUSTED + RetryInfo
UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"  # UNAVAILABLE + RetryInfo
CIRCUIT_OPEN = "CIRCUIT_OPEN"  # UNAVAILABLE + RetryInfo
UPSTREAM_STREAM_BROKEN = "UPSTREAM_STREAM_BROKEN"  # UNAVAILABLE + RetryInfo: stream broke mid-answer
SHUTTING_DOWN = "SHUTTING_DOWN"  # UNAVAILABLE + RetryInfo: the daemon is stopping

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
    does not suggest that a retry helps."""
    for info in details(error, RetryInfo):
        if info.HasField("retry_delay"):
            d = info.retry_delay  # google.protobuf.Duration, untyped here
            seconds: int = d.seconds
            nanos: int = d.nanos
            return max(0.0, seconds + nanos / 1e9)
    return None


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
        text += f"; retry in {delay:g}s"
    violations = [f"{v.field}: {v.description}" for v in field_violations(error)]
    violations = [v for v in violations if v not in (message or "")]  # the message may list them already
    if violations:
        text += "; " + ", ".join(violations)
    return text
