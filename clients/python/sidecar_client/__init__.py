"""Python client of the Sidecar daemon (LLM calls over gRPC on a Unix socket).

    import sidecar_client as sc
    from sidecar_client import completions_pb2 as pb

    with sc.connect() as client:  # $SIDECAR_SOCKET, else /var/run/sidecar/sidecar.sock
        resp = client.complete(pb.CompleteRequest(
            key_ref="team-a", model="gpt-4o-mini",
            messages=[pb.Message(role=pb.ROLE_USER, content="hi")]))
        print(resp.message.content)

``sidecar_client.aio`` is the same client on ``grpc.aio`` (asyncio).

Generated code: ``completions_pb2`` (messages, enums), ``completions_pb2_grpc``
(``CompletionsStub``) and ``errors_pb2`` (the ``ErrorReason`` enum), re-exported here from
``sidecar_client._gen``.
"""

from sidecar_client._protos import completions_pb2, completions_pb2_grpc, errors_pb2
from sidecar_client.accumulate import Accumulator, StreamIncompleteError, accumulate
from sidecar_client.client import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_READY_TIMEOUT,
    DEFAULT_SOCKET_PATH,
    HEALTH_SERVICE,
    SOCKET_ENV,
    Client,
    CompleteStream,
    NotReadyError,
    connect,
    resolve_socket_path,
    wait_until_serving,
)
from sidecar_client.errors import (
    ERROR_DOMAIN,
    REASONS,
    code_name,
    describe,
    error_info,
    error_reason,
    field_violations,
    is_retryable,
    retry_delay,
    rich_status,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_READY_TIMEOUT",
    "DEFAULT_SOCKET_PATH",
    "ERROR_DOMAIN",
    "REASONS",
    "HEALTH_SERVICE",
    "SOCKET_ENV",
    "Accumulator",
    "Client",
    "CompleteStream",
    "NotReadyError",
    "StreamIncompleteError",
    "accumulate",
    "code_name",
    "completions_pb2",
    "completions_pb2_grpc",
    "connect",
    "describe",
    "error_info",
    "error_reason",
    "errors_pb2",
    "field_violations",
    "is_retryable",
    "resolve_socket_path",
    "retry_delay",
    "rich_status",
    "wait_until_serving",
]
