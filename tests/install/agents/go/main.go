// A small agent, written from clients/go/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"sidecar.dev/sidecar"
	"sidecar.dev/sidecar/sidecarv1"
)

func main() {
	ctx := context.Background()
	client, err := sidecar.Dial(ctx, "", sidecar.WithDefaultKeyRef("echo"), sidecar.WithDefaultModel("echo-1"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// 1. Unary
	resp, err := client.Complete(ctx, &sidecarv1.CompleteRequest{Messages: []*sidecarv1.Message{sidecar.UserMessage("hello sidecar")}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unary:", resp.GetMessage().GetContent())

	// 2. Stream
	stream, err := client.StreamComplete(ctx, &sidecarv1.CompleteRequest{Messages: []*sidecarv1.Message{sidecar.UserMessage("one two three")}})
	if err != nil {
		log.Fatal(err)
	}
	if final, err := sidecar.Accumulate(stream); err != nil {
		log.Fatal(err)
	} else if final.GetFinishReason() == sidecarv1.FinishReason_FINISH_REASON_STOP {
		fmt.Println("stream:", final.GetMessage().GetContent())
	}

	// 3. Tool round trip
	req := &sidecarv1.CompleteRequest{KeyRef: "fake", Model: "fake-tools", ToolChoice: sidecar.ToolChoiceAuto(),
		Messages: []*sidecarv1.Message{sidecar.UserMessage("weather in Paris?")},
		Tools: []*sidecarv1.Tool{{Name: "get_weather", Description: "Current weather",
			ParametersJsonSchema: `{"type":"object","properties":{"city":{"type":"string"}}}`}}}
	if resp, err = client.Complete(ctx, req); err != nil {
		log.Fatal(err)
	}
	req.Messages = append(req.Messages, resp.GetMessage())
	for _, call := range resp.GetMessage().GetToolCalls() {
		var args struct{ City string }
		if err := json.Unmarshal([]byte(call.GetArgumentsJson()), &args); err != nil {
			log.Fatal(err)
		}
		req.Messages = append(req.Messages, sidecar.ToolMessage(call.GetId(), "sunny in "+args.City))
	}
	if resp, err = client.Complete(ctx, req); err != nil {
		log.Fatal(err)
	}
	fmt.Println("tool:", resp.GetMessage().GetContent())

	// 4. An error and its reason
	_, err = client.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "no-such-key", Messages: []*sidecarv1.Message{sidecar.UserMessage("hi")}})
	var e *sidecar.Error
	if !errors.As(err, &e) {
		log.Fatalf("want a *sidecar.Error, got %v", err)
	}
	fmt.Println("error:", e.Reason)
}
