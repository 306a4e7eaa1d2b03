// Command agent does four things an agent does: a unary call, a stream, a tool round trip and
// an error with its reason. It talks to the daemon that tests/conformance/with-daemon.sh starts
// (key_ref "fake", the fake upstream's models), and exits 1 when a task does not go as expected:
//
//	tests/conformance/with-daemon.sh sh -c 'cd clients/go && go run ./cmd/agent'
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"sidecar.dev/sidecar"
	"sidecar.dev/sidecar/sidecarv1"
)

func main() {
	ctx := context.Background()
	c, err := sidecar.Dial(ctx, "", sidecar.WithDefaultKeyRef("fake"), sidecar.WithDefaultModel("fake-1"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// 1. Unary.
	resp, err := c.Complete(ctx, &sidecarv1.CompleteRequest{Messages: []*sidecarv1.Message{sidecar.UserMessage("hello")}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unary:", resp.GetMessage().GetContent())

	// 2. Stream, merged by the accumulator.
	stream, err := c.StreamComplete(ctx, &sidecarv1.CompleteRequest{Messages: []*sidecarv1.Message{sidecar.UserMessage("one two three")}})
	if err != nil {
		log.Fatal(err)
	}
	final, err := sidecar.Accumulate(stream)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stream:", final.GetMessage().GetContent(), final.GetFinishReason(), final.GetUsage().GetTotalTokens())

	// 3. Tool round trip.
	req := &sidecarv1.CompleteRequest{Model: "fake-tools", ToolChoice: sidecar.ToolChoiceAuto(),
		Messages: []*sidecarv1.Message{sidecar.UserMessage("Weather in Paris?")},
		Tools: []*sidecarv1.Tool{{Name: "get_weather", Description: "Weather in a city",
			ParametersJsonSchema: `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`}}}
	resp, err = c.Complete(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	req.Messages = append(req.Messages, resp.GetMessage())
	for _, call := range resp.GetMessage().GetToolCalls() {
		req.Messages = append(req.Messages, sidecar.ToolMessage(call.GetId(), `{"temp_c":21}`))
	}
	if resp, err = c.Complete(ctx, req); err != nil {
		log.Fatal(err)
	}
	fmt.Println("tool:", resp.GetMessage().GetContent())

	// 4. An error and its reason.
	_, err = c.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "nope", Messages: []*sidecarv1.Message{sidecar.UserMessage("hi")}})
	var e *sidecar.Error
	if !errors.As(err, &e) || e.Reason != sidecar.ReasonKeyRefNotFound {
		log.Fatalf("want KEY_REF_NOT_FOUND, got %v", err)
	}
	fmt.Println("error:", sidecar.CodeName(e.Code), e.Reason, e.Retryable)
}
