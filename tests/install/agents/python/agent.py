"""A small agent, written from clients/python/README.md: a unary call, a stream, a tool round
trip and an error with its reason, against the daemon at $SIDECAR_SOCKET."""
import json
import sys

import grpc
import sidecar_client as sc
from sidecar_client import completions_pb2 as pb


def user(text):
    return pb.Message(role=pb.ROLE_USER, content=text)


with sc.connect() as client:
    # 1. Unary
    resp = client.complete(pb.CompleteRequest(key_ref="echo", model="echo-1", messages=[user("hello sidecar")]))
    print("unary:", resp.message.content)

    # 2. Stream
    text = ""
    for chunk in client.stream_complete(pb.CompleteRequest(key_ref="echo", model="echo-1", messages=[user("one two three")])):
        text += chunk.content_delta
        if chunk.finish_reason == pb.FINISH_REASON_STOP:
            print("stream:", text)

    # 3. Tool round trip
    weather = pb.Tool(name="get_weather", description="Current weather",
                      parameters_json_schema='{"type":"object","properties":{"city":{"type":"string"}}}')
    messages = [user("weather in Paris?")]
    resp = client.complete(pb.CompleteRequest(key_ref="fake", model="fake-tools", messages=messages, tools=[weather]))
    messages.append(resp.message)
    for call in resp.message.tool_calls:
        city = json.loads(call.arguments_json)["city"]
        messages.append(pb.Message(role=pb.ROLE_TOOL, tool_call_id=call.id, content=f"sunny in {city}"))
    resp = client.complete(pb.CompleteRequest(key_ref="fake", model="fake-tools", messages=messages, tools=[weather]))
    print("tool:", resp.message.content)

    # 4. An error and its reason
    try:
        client.complete(pb.CompleteRequest(key_ref="no-such-key", model="m", messages=[user("hi")]))
        sys.exit("error: the call succeeded")
    except grpc.RpcError as e:
        print("error:", sc.error_reason(e))
