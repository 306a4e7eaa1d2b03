#!/usr/bin/python3
"""A tiny agent: streams the daemon's answer to a prompt to stdout.

    PYTHONPATH=clients/python /usr/bin/python3 clients/python/examples/stream.py "hello there"
    python3 examples/stream.py --socket /tmp/sidecar.sock --key-ref team-a --model gpt-4o-mini "Say hi"

(PYTHONPATH is for a checkout; with the package installed it is not needed.) Usage and the finish reason go to
stderr. On an error it prints the status code, reason, retry delay and field violations and
exits 1.
"""

from __future__ import annotations

import argparse
import sys

import grpc

import sidecar_client as sc
from sidecar_client import completions_pb2 as pb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", help=f"daemon socket (default ${sc.SOCKET_ENV}, else {sc.DEFAULT_SOCKET_PATH})")
    parser.add_argument("--key-ref", default="echo", help="key reference to call with (default: echo)")
    parser.add_argument("--model", default="echo-1", help="model name (default: echo-1)")
    parser.add_argument("--system", help="optional system message")
    parser.add_argument("--timeout", type=float, default=60.0, help="deadline of the call in seconds")
    parser.add_argument("prompt", nargs="+")
    args = parser.parse_args()

    messages = []
    if args.system:
        messages.append(pb.Message(role=pb.ROLE_SYSTEM, content=args.system))
    messages.append(pb.Message(role=pb.ROLE_USER, content=" ".join(args.prompt)))
    request = pb.CompleteRequest(key_ref=args.key_ref, model=args.model, messages=messages)

    try:
        client = sc.connect(args.socket)
    except sc.NotReadyError as e:
        print(e, file=sys.stderr)
        return 1
    with client:
        call = client.stream_complete(request, timeout=args.timeout)
        try:
            for chunk in call:
                sys.stdout.write(chunk.content_delta)
                sys.stdout.flush()
                for tc in chunk.tool_call_deltas:
                    print(f"[tool call {tc.index} {tc.id} {tc.name}] {tc.arguments_delta}", file=sys.stderr)
                if chunk.finish_reason:
                    print()
                    u = chunk.usage
                    print(
                        f"[{pb.FinishReason.Name(chunk.finish_reason)}; tokens: prompt {u.prompt_tokens}, "
                        f"completion {u.completion_tokens}, total {u.total_tokens}]",
                        file=sys.stderr,
                    )
        except grpc.RpcError as e:
            print(file=sys.stderr)
            print(f"error: {sc.describe(e)}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            call.cancel()  # tell the daemon (and the upstream) to stop
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
