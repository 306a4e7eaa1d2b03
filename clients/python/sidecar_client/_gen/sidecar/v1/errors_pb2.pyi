from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

BUDGET_EXHAUSTED: ErrorReason
CIRCUIT_OPEN: ErrorReason
DESCRIPTOR: _descriptor.FileDescriptor
ERROR_REASON_UNSPECIFIED: ErrorReason
INTERNAL: ErrorReason
INVALID_REQUEST: ErrorReason
KEY_REF_FORBIDDEN: ErrorReason
KEY_REF_NOT_FOUND: ErrorReason
KEY_UNAVAILABLE: ErrorReason
LOCAL_LIMIT: ErrorReason
MODEL_NOT_ALLOWED: ErrorReason
SHARED_LIMIT: ErrorReason
SHARED_STATE_UNAVAILABLE: ErrorReason
SHUTTING_DOWN: ErrorReason
UPSTREAM_AUTH: ErrorReason
UPSTREAM_RATE_LIMITED: ErrorReason
UPSTREAM_REJECTED: ErrorReason
UPSTREAM_STREAM_BROKEN: ErrorReason
UPSTREAM_UNAVAILABLE: ErrorReason

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
