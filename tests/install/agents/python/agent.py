"""A small agent, written from clients/python/README.md: a unary call, a stream, a tool round
trip and an error with its reason, against the daemon at $SIDECAR_SOCKET."""
import json

import grpc
import sidecar_client as sc
from sidecar_client import completions_pb2 as pb


def user(text):
    return pb.Message(role=pb.ROLE_USER, content=text)


with sc.connect(key_ref="echo", model="echo-1") as client:
    # 1. Unary
    resp = client.complete(pb.CompleteRequest(messages=[user("hello sidecar")]))
    print("unary:", resp.message.content)

    # 2. Stream
    final = sc.accumulate(client.stream_complete(pb.CompleteRequest(messages=[user("one two three")])))
    if final.finish_reason == pb.FINISH_REASON_STOP:
        print("stream:", final.message.content)

    # 3. Tool round trip
    request = pb.CompleteRequest(key_ref="fake", model="fake-tools", messages=[user("weather in Paris?")], tools=[pb.Tool(
        name="get_weather", description="Current weather",
        parameters_json_schema='{"type":"object","properties":{"city":{"type":"string"}}}')])
    resp = client.complete(request)
    request.messages.append(resp.message)
    for call in resp.message.tool_calls:
        city = json.loads(call.arguments_json)["city"]
        request.messages.append(pb.Message(role=pb.ROLE_TOOL, tool_call_id=call.id, content=f"sunny in {city}"))
    print("tool:", client.complete(request).message.content)

    # 4. An error and its reason
    try:
        client.complete(pb.CompleteRequest(key_ref="no-such-key", messages=[user("hi")]))
        raise SystemExit("error: the call succeeded")
    except grpc.RpcError as e:
        print("error:", sc.error_reason(e))
