// A small agent, written from clients/go/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"

	"sidecar.dev/sidecar"
	"sidecar.dev/sidecar/sidecarv1"
)

func user(text string) *sidecarv1.Message {
	return &sidecarv1.Message{Role: sidecarv1.Role_ROLE_USER, Content: text}
}

func main() {
	ctx := context.Background()
	client, err := sidecar.Dial(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// 1. Unary
	resp, err := client.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "echo", Model: "echo-1",
		Messages: []*sidecarv1.Message{user("hello sidecar")}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unary:", resp.GetMessage().GetContent())

	// 2. Stream
	stream, err := client.StreamComplete(ctx, &sidecarv1.CompleteRequest{KeyRef: "echo", Model: "echo-1",
		Messages: []*sidecarv1.Message{user("one two three")}})
	if err != nil {
		log.Fatal(err)
	}
	text := ""
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		text += chunk.GetContentDelta()
		if chunk.GetFinishReason() == sidecarv1.FinishReason_FINISH_REASON_STOP {
			fmt.Println("stream:", text)
		}
	}

	// 3. Tool round trip
	tools := []*sidecarv1.Tool{{Name: "get_weather", Description: "Current weather",
		ParametersJsonSchema: `{"type":"object","properties":{"city":{"type":"string"}}}`}}
	messages := []*sidecarv1.Message{user("weather in Paris?")}
	resp, err = client.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "fake", Model: "fake-tools", Messages: messages, Tools: tools})
	if err != nil {
		log.Fatal(err)
	}
	messages = append(messages, resp.GetMessage())
	for _, call := range resp.GetMessage().GetToolCalls() {
		var args struct{ City string }
		if err := json.Unmarshal([]byte(call.GetArgumentsJson()), &args); err != nil {
			log.Fatal(err)
		}
		messages = append(messages, &sidecarv1.Message{Role: sidecarv1.Role_ROLE_TOOL, ToolCallId: call.GetId(), Content: "sunny in " + args.City})
	}
	resp, err = client.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "fake", Model: "fake-tools", Messages: messages, Tools: tools})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tool:", resp.GetMessage().GetContent())

	// 4. An error and its reason
	_, err = client.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "no-such-key", Model: "m",
		Messages: []*sidecarv1.Message{user("hi")}})
	if err == nil {
		log.Fatal("the call succeeded")
	}
	fmt.Println("error:", sidecar.ErrorReason(err))
}
