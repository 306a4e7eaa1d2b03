"""The shared conformance cases (tests/conformance/cases.json; semantics in its README.md)
against a live daemon at $SIDECAR_SOCKET:

    tests/conformance/with-daemon.sh clients/python/test.sh

Without $SIDECAR_SOCKET the cases skip, or fail when SIDECAR_CONFORMANCE_REQUIRED=1.
$SIDECAR_CONFORMANCE_CASES overrides the path of cases.json.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import grpc
import pytest
from google.protobuf import json_format

import sidecar_client as sc
from sidecar_client import completions_pb2 as pb

CASE_KEYS = {"name", "comment", "rpc", "request", "expect", "deadlineMs", "cancelAfterChunks", "cancelAfterMs", "readiness"}
EXPECT_KEYS = {
    "text", "minChunks", "finishReason", "usage", "toolCalls", "code", "reason", "fieldViolation", "retryDelayMs", "notReady",
    "servedBy",
}
SERVED_BY_KEYS = {"keyRef", "model", "attempts", "cached"}
READINESS_KEYS = {"socketAppearsAfterMs", "readyTimeoutMs"}


def cases_path() -> Path:
    override = os.environ.get("SIDECAR_CONFORMANCE_CASES")
    if override:
        return Path(override)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "tests" / "conformance" / "cases.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("tests/conformance/cases.json not found above clients/python (set SIDECAR_CONFORMANCE_CASES)")


def load_cases() -> List[Dict[str, Any]]:
    data = json.loads(cases_path().read_text())
    unknown = set(data) - {"comment", "cases"}
    assert not unknown, f"cases.json: unknown top-level keys {unknown}"
    cases = data["cases"]
    assert cases, "cases.json has no cases"
    return cases


CASES = load_cases()


def test_cases_are_well_formed():
    names = [c.get("name") for c in CASES]
    assert all(names) and len(set(names)) == len(names), f"case names must be unique and set: {names}"
    for c in CASES:
        # Unknown keys fail loudly: a new kind of expectation must not be silently ignored.
        assert not set(c) - CASE_KEYS, f"{c['name']}: unknown case keys {set(c) - CASE_KEYS}"
        assert not set(c["expect"]) - EXPECT_KEYS, f"{c['name']}: unknown expect keys {set(c['expect']) - EXPECT_KEYS}"
        assert c["expect"], f"{c['name']}: expects nothing"
        assert not set(c.get("readiness", {})) - READINESS_KEYS, f"{c['name']}: unknown readiness keys"
        assert c["rpc"] in ("Complete", "StreamComplete"), c["rpc"]
        json_format.ParseDict(c["request"], pb.CompleteRequest())
        e = c["expect"]
        assert not ("cancelAfterChunks" in c and c["rpc"] != "StreamComplete"), f"{c['name']}: cancelAfterChunks on a unary call"
        assert not ("cancelAfterMs" in c and c["rpc"] != "Complete"), f"{c['name']}: cancelAfterMs on a stream"
        assert not ("code" in e and {"finishReason", "usage", "toolCalls", "servedBy"} & set(e)), f"{c['name']}: a failing call has no finish"
        assert "servedBy" not in e or set(e["servedBy"]) == SERVED_BY_KEYS, f"{c['name']}: servedBy needs exactly {SERVED_BY_KEYS}"
        assert not e.get("notReady") or ("readiness" in c and "socketAppearsAfterMs" not in c["readiness"]), c["name"]
        assert "readiness" not in c or c["readiness"].get("readyTimeoutMs", 0) > 0, f"{c['name']}: readiness needs readyTimeoutMs"


@pytest.fixture(scope="module")
def client():
    socket = os.environ.get(sc.SOCKET_ENV)
    if not socket:
        msg = (
            "SIDECAR_SOCKET is not set: no daemon to run tests/conformance/cases.json against "
            "(run: tests/conformance/with-daemon.sh clients/python/test.sh)"
        )
        if os.environ.get("SIDECAR_CONFORMANCE_REQUIRED") == "1":
            pytest.fail(msg + "; SIDECAR_CONFORMANCE_REQUIRED=1, so this is a failure", pytrace=False)
        pytest.skip(msg)
    # A case that hangs fails after 30 s instead of the 120 s default.
    c = sc.connect(socket, ready_timeout=30, default_timeout=30)
    yield c
    c.close()


class Outcome:
    def __init__(self) -> None:
        self.not_ready: Optional[Exception] = None  # the readiness wait of a case's own client failed
        self.error: Optional[grpc.RpcError] = None
        self.text = ""
        self.chunks = 0
        self.finish_reason = pb.FINISH_REASON_UNSPECIFIED
        self.usage: Optional[pb.Usage] = None
        self.tool_calls: List[pb.ToolCall] = []
        self.served_by: Optional[pb.ServedBy] = None  # unary: the response's; streaming: the last chunk's


def call_unary(client, request, timeout, cancel_after_ms: int = 0) -> Outcome:
    out = Outcome()
    try:
        if cancel_after_ms:
            future = client.stub.Complete.future(request, timeout=timeout)
            timer = threading.Timer(cancel_after_ms / 1000, future.cancel)
            timer.start()
            try:
                future.exception()  # waits for the end; a cancelled future raises FutureCancelledError
            except grpc.FutureCancelledError:
                pass
            finally:
                timer.cancel()
            if future.code() != grpc.StatusCode.OK:
                out.error = future  # the call object is also the grpc.RpcError
                return out
            resp = future.result()
        else:
            resp = client.complete(request, timeout=timeout)
    except grpc.RpcError as e:
        out.error = e
        return out
    assert resp.message.role == pb.ROLE_ASSISTANT, f"contract: answer role {pb.Role.Name(resp.message.role)}"
    out.text = resp.message.content
    out.finish_reason = resp.finish_reason
    out.usage = resp.usage if resp.HasField("usage") else None
    out.tool_calls = list(resp.message.tool_calls)
    out.served_by = resp.served_by if resp.HasField("served_by") else None
    return out


def call_stream(client, request, timeout, cancel_after: int) -> Outcome:
    out = Outcome()
    calls: Dict[int, pb.ToolCall] = {}
    received = 0
    last = None
    text = []
    call = client.stream_complete(request, timeout=timeout)
    try:
        for chunk in call:
            if last is not None:
                assert (
                    last.finish_reason == pb.FINISH_REASON_UNSPECIFIED
                    and not last.HasField("usage")
                    and not last.HasField("served_by")
                ), f"contract: chunk {received} carried finish_reason/usage/served_by but was not the last chunk"
            received += 1
            last = chunk
            text.append(chunk.content_delta)
            if chunk.content_delta or chunk.tool_call_deltas:
                out.chunks += 1
            for d in chunk.tool_call_deltas:
                tc = calls.setdefault(d.index, pb.ToolCall())
                if not tc.id:
                    tc.id = d.id
                if not tc.name:
                    tc.name = d.name
                tc.arguments_json += d.arguments_delta
            if cancel_after and received == cancel_after:
                call.cancel()  # iteration goes on until the stream reports the cancellation
    except grpc.RpcError as e:
        out.error = e
    if cancel_after:
        assert received >= cancel_after, (
            f"the stream ended after {received} chunks, before the client could cancel after {cancel_after}"
        )
    out.text = "".join(text)
    if last is not None:
        out.finish_reason = last.finish_reason
        out.usage = last.usage if last.HasField("usage") else None
        out.served_by = last.served_by if last.HasField("served_by") else None
    out.tool_calls = [calls[i] for i in sorted(calls)]
    return out


def same_json(a: str, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def check(expect: Dict[str, Any], got: Outcome) -> None:
    if expect.get("notReady"):
        assert got.not_ready is not None, "the readiness wait succeeded; want it to give up"
        return
    assert got.not_ready is None, f"the readiness wait failed: {got.not_ready}"
    if "code" in expect:
        assert got.error is not None, f"the call succeeded (text {got.text!r}); want status {expect['code']}"
        e = got.error
        assert sc.code_name(e) == expect["code"], f"status {sc.describe(e)}; want {expect['code']}"
        # What a stream delivered before it failed.
        if "text" in expect:
            assert got.text == expect["text"], f"text before the error {got.text!r}, want {expect['text']!r}"
        if "minChunks" in expect:
            assert got.chunks >= expect["minChunks"], f"{got.chunks} chunks before the error; want >= {expect['minChunks']}"
        if "retryDelayMs" in expect:
            delay = sc.retry_delay(e)
            assert delay is not None, f"no RetryInfo in {sc.describe(e)}; want {expect['retryDelayMs']} ms"
            assert round(delay * 1000) == expect["retryDelayMs"], f"retry delay {delay}s, want {expect['retryDelayMs']} ms"
        if "reason" in expect:
            assert sc.error_reason(e) == expect["reason"], f"reason of {sc.describe(e)}; want {expect['reason']}"
            assert sc.error_info(e).domain == sc.ERROR_DOMAIN
        if "fieldViolation" in expect:
            fields = [v.field for v in sc.field_violations(e)]
            assert expect["fieldViolation"] in fields, f"field violations {fields}; want {expect['fieldViolation']!r}"
        return
    assert not {"reason", "fieldViolation", "retryDelayMs"} & set(expect), "bad case: reason/fieldViolation/retryDelayMs without code"
    assert got.error is None, f"the call failed: {sc.describe(got.error)}"
    # The contract, on every answer: served_by names who answered (on a stream, the last chunk).
    # attempts counts the targets tried: at least 1, unless the answer came from the cache.
    sb = got.served_by
    assert sb is not None and sb.key_ref and (sb.attempts >= 1 or sb.cached), (
        f"contract: the answer's served_by is {sb}, want a key_ref and attempts >= 1 (unless cached)"
    )
    if "text" in expect:
        assert got.text == expect["text"]
    if "minChunks" in expect:
        assert got.chunks >= expect["minChunks"], f"{got.chunks} chunks carried deltas; want >= {expect['minChunks']}"
    if "finishReason" in expect:
        assert pb.FinishReason.Name(got.finish_reason) == expect["finishReason"]
    if "usage" in expect:
        assert got.usage is not None, f"no usage; want {expect['usage']}"
        usage = json_format.MessageToDict(got.usage, including_default_value_fields=True)
        for key, value in expect["usage"].items():
            assert key in usage, f"usage has no field {key!r}: {usage}"
            assert usage[key] == value, f"usage.{key} = {usage[key]}, want {value} (usage {usage})"
    if "toolCalls" in expect:
        want = expect["toolCalls"]
        assert len(got.tool_calls) == len(want), f"{len(got.tool_calls)} tool calls, want {len(want)}: {got.tool_calls}"
        for i, (w, tc) in enumerate(zip(want, got.tool_calls)):
            actual = json_format.MessageToDict(tc, including_default_value_fields=True)
            for key, value in w.items():
                if key == "argumentsJson" and same_json(actual.get(key, ""), value):
                    continue
                assert actual.get(key) == value, f"toolCalls[{i}].{key} = {actual.get(key)!r}, want {value!r}"
    if "servedBy" in expect:
        check_served_by(expect["servedBy"], got.served_by)


def check_served_by(want: Dict[str, Any], got: Optional[pb.ServedBy]) -> None:
    assert set(want) == SERVED_BY_KEYS, f"bad case: servedBy needs exactly {SERVED_BY_KEYS}"
    assert got is not None
    actual = {"keyRef": got.key_ref, "model": got.model, "attempts": got.attempts, "cached": got.cached}
    assert actual == want, f"served_by {actual}, want {want}"


def connect_late(socket: str, readiness: Dict[str, Any], workdir: str):
    """A client of its own for a socket path where nothing listens; when ``readiness`` says so, a
    link to the daemon's socket appears there after ``socketAppearsAfterMs``. ``connect``'s
    readiness wait must ride over the gap (or give up after ``readyTimeoutMs``)."""
    path = os.path.join(workdir, "late.sock")
    timer = None
    if "socketAppearsAfterMs" in readiness:
        target = os.path.abspath(socket)
        timer = threading.Timer(readiness["socketAppearsAfterMs"] / 1000, os.symlink, (target, path))
        timer.start()
    try:
        return sc.connect(path, ready_timeout=readiness["readyTimeoutMs"] / 1000, default_timeout=30)
    finally:
        if timer is not None:
            timer.join()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conformance(client, case):
    assert not set(case) - CASE_KEYS and not set(case["expect"]) - EXPECT_KEYS, "a case field this runner does not know"
    request = json_format.ParseDict(case["request"], pb.CompleteRequest())
    timeout = case["deadlineMs"] / 1000 if "deadlineMs" in case else None
    with tempfile.TemporaryDirectory() as workdir:
        own = None
        if "readiness" in case:
            try:
                own = connect_late(client.socket_path, case["readiness"], workdir)
            except sc.NotReadyError as e:
                got = Outcome()
                got.not_ready = e
                check(case["expect"], got)
                return
        try:
            c = own or client
            if case["rpc"] == "Complete":
                got = call_unary(c, request, timeout, case.get("cancelAfterMs", 0))
            else:
                got = call_stream(c, request, timeout, case.get("cancelAfterChunks", 0))
        finally:
            if own is not None:
                own.close()
    check(case["expect"], got)
