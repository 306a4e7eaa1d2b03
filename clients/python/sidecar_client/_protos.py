"""Where the protobuf modules come from.

The sidecar.v1 contract (completions, and the ErrorReason enum of errors.proto) is generated into ``sidecar_client._gen`` (scripts/generate-stubs.sh).
google.rpc (Status, ErrorInfo, RetryInfo, BadRequest) and grpc.health.v1 messages are taken
from googleapis-common-protos / grpcio-health-checking when those are installed, and from
copies generated into ``sidecar_client._gen`` otherwise. Both register the same canonical
file names (google/rpc/status.proto, ...), and only one of them is ever imported, so this
package coexists with code that uses the official packages.
"""

from typing import TYPE_CHECKING

from sidecar_client._gen.sidecar.v1 import completions_pb2, completions_pb2_grpc, errors_pb2

if TYPE_CHECKING:
    # The type checker sees our generated copies, whose .pyi describe the same messages.
    from sidecar_client._gen.google.rpc import error_details_pb2, status_pb2
    from sidecar_client._gen.grpc.health.v1 import health_pb2
else:
    try:  # googleapis-common-protos
        from google.rpc import error_details_pb2, status_pb2
    except ImportError:  # pragma: no cover - depends on the environment
        from sidecar_client._gen.google.rpc import error_details_pb2, status_pb2

    try:  # grpcio-health-checking
        from grpc_health.v1 import health_pb2
    except ImportError:  # pragma: no cover - depends on the environment
        from sidecar_client._gen.grpc.health.v1 import health_pb2

__all__ = ["completions_pb2", "completions_pb2_grpc", "error_details_pb2", "errors_pb2", "health_pb2", "status_pb2"]
