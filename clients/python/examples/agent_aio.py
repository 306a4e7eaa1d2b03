#!/usr/bin/python3
"""examples/agent.py on asyncio (sidecar_client.aio): a unary call, a stream, a tool round trip
and an error with its reason, against the daemon that tests/conformance/with-daemon.sh starts."""

import asyncio

import grpc

import sidecar_client as sc
from sidecar_client import aio
from sidecar_client import completions_pb2 as pb


async def main() -> None:
    async with await aio.connect(key_ref="fake", model="fake-1") as client:
        # 1. Unary.
        resp = await client.complete(pb.CompleteRequest(messages=[pb.Message(role=pb.ROLE_USER, content="hello")]))
        print("unary:", resp.message.content)

        # 2. Stream, merged by the accumulator.
        final = await aio.accumulate(
            client.stream_complete(pb.CompleteRequest(messages=[pb.Message(role=pb.ROLE_USER, content="one two three")]))
        )
        print("stream:", final.message.content, pb.FinishReason.Name(final.finish_reason), final.usage.total_tokens)

        # 3. Tool round trip.
        req = pb.CompleteRequest(
            model="fake-tools",
            messages=[pb.Message(role=pb.ROLE_USER, content="Weather in Paris?")],
            tools=[pb.Tool(name="get_weather", description="Weather in a city",
                           parameters_json_schema='{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}')],
            tool_choice=pb.ToolChoice(mode=pb.TOOL_CHOICE_MODE_AUTO),
        )
        resp = await client.complete(req)
        req.messages.append(resp.message)
        for call in resp.message.tool_calls:
            req.messages.append(pb.Message(role=pb.ROLE_TOOL, tool_call_id=call.id, content='{"temp_c":21}'))
        print("tool:", (await client.complete(req)).message.content)

        # 4. An error and its reason.
        try:
            await client.complete(pb.CompleteRequest(key_ref="nope", messages=[pb.Message(role=pb.ROLE_USER, content="hi")]))
            raise SystemExit("expected KEY_REF_NOT_FOUND")
        except grpc.RpcError as e:
            assert sc.error_reason(e) == sc.errors.KEY_REF_NOT_FOUND, sc.describe(e)
            print("error:", sc.code_name(e), sc.error_reason(e), sc.retry_delay(e))


if __name__ == "__main__":
    asyncio.run(main())
