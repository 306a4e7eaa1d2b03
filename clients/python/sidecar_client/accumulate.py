"""Merging a streamed answer into the answer ``complete`` would have given."""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from sidecar_client._protos import completions_pb2 as pb


class StreamIncompleteError(Exception):
    """The stream ended without a chunk carrying a finish reason. The daemon ends such a stream
    with an error status instead, so this means something between it and the caller cut it."""


class _ToolCallParts:
    __slots__ = ("id", "name", "arguments")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: List[str] = []


class Accumulator:
    """Merges the chunks of ``stream_complete`` one by one: content deltas appended in order,
    tool-call deltas merged by ``index`` (``id`` and ``name`` from the piece that carries them,
    ``arguments_delta`` concatenated), and the finish reason, usage and ``served_by`` (who
    answered) of the last chunk.

        acc = sc.Accumulator()
        for chunk in client.stream_complete(request):
            print(chunk.content_delta, end="")
            acc.add(chunk)
        resp = acc.response()   # a CompleteResponse
    """

    def __init__(self) -> None:
        self._id = ""
        self._model = ""
        self._text: List[str] = []
        self._calls: Dict[int, _ToolCallParts] = {}
        self._finish_reason: pb.FinishReason = pb.FINISH_REASON_UNSPECIFIED
        self._usage: Optional[pb.Usage] = None
        self._served_by: Optional[pb.ServedBy] = None

    def add(self, chunk: pb.CompleteChunk) -> None:
        """Merges one chunk."""
        self._id = self._id or chunk.id
        self._model = self._model or chunk.model
        self._text.append(chunk.content_delta)
        for delta in chunk.tool_call_deltas:
            parts = self._calls.setdefault(delta.index, _ToolCallParts())
            parts.id = parts.id or delta.id
            parts.name = parts.name or delta.name
            parts.arguments.append(delta.arguments_delta)
        if chunk.finish_reason != pb.FINISH_REASON_UNSPECIFIED:
            self._finish_reason = chunk.finish_reason
        if chunk.HasField("usage"):
            self._usage = chunk.usage
        if chunk.HasField("served_by"):
            self._served_by = chunk.served_by

    @property
    def done(self) -> bool:
        """True once a chunk with a finish reason was added (the stream is complete)."""
        return self._finish_reason != pb.FINISH_REASON_UNSPECIFIED

    def response(self) -> pb.CompleteResponse:
        """The merged answer so far: an assistant message with the text and the tool calls (by
        index), the finish reason, the usage (unset when the upstream reported none) and
        ``served_by`` (unset until the last chunk)."""
        message = pb.Message(
            role=pb.ROLE_ASSISTANT,
            content="".join(self._text),
            tool_calls=[
                pb.ToolCall(id=p.id, name=p.name, arguments_json="".join(p.arguments))
                for _, p in sorted(self._calls.items())
            ],
        )
        resp = pb.CompleteResponse(id=self._id, model=self._model, message=message, finish_reason=self._finish_reason)
        if self._usage is not None:
            resp.usage.CopyFrom(self._usage)
        if self._served_by is not None:
            resp.served_by.CopyFrom(self._served_by)
        return resp


def accumulate(stream: Iterable[pb.CompleteChunk]) -> pb.CompleteResponse:
    """Reads the stream to its end and returns the merged answer (see :class:`Accumulator`).
    Errors of the stream propagate (``grpc.RpcError``); a stream that ends without a finish
    reason raises :class:`StreamIncompleteError`."""
    acc = Accumulator()
    for chunk in stream:
        acc.add(chunk)
    if not acc.done:
        raise StreamIncompleteError("the stream ended without a finish reason")
    return acc.response()
