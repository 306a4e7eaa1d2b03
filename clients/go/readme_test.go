package sidecar

// The README's retry loop and tool loop, verbatim, so the README cannot drift from code that
// works: the retry loop against the in-process fake, the tool loop against the live daemon of
// tests/conformance/with-daemon.sh (skipped without $SIDECAR_SOCKET).

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"sidecar.dev/sidecar/sidecarv1"
)

// completeWithRetry makes at most 4 attempts, waiting what the daemon asks between them.
func completeWithRetry(ctx context.Context, c *Client, req *sidecarv1.CompleteRequest) (*sidecarv1.CompleteResponse, error) {
	for attempt := 1; ; attempt++ {
		resp, err := c.Complete(ctx, req)
		var e *Error
		if err == nil || attempt == 4 || !errors.As(err, &e) || !e.Retryable {
			return resp, err
		}
		select {
		case <-time.After(e.RetryDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func TestReadmeRetry_RetryInfo_RetriedAndOthersNot(t *testing.T) {
	c := dialFake(t, startFake(t, newHealth(true)))
	ctx := context.Background()
	before := flakyCalls.Load()
	resp, err := completeWithRetry(ctx, c, &sidecarv1.CompleteRequest{KeyRef: "k", Model: "flaky", Messages: userMsg("again")})
	if err != nil || resp.GetMessage().GetContent() != "again" {
		t.Fatalf("flaky call after a retry: %v, %v", resp, err)
	}
	if n := flakyCalls.Load() - before; n != 2 {
		t.Errorf("flaky model called %d times, want 2 (one UNAVAILABLE with RetryInfo, one answer)", n)
	}

	before = rejectedCalls.Load()
	_, err = completeWithRetry(ctx, c, &sidecarv1.CompleteRequest{KeyRef: "k", Model: "rejected", Messages: userMsg("x")})
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonUpstreamRejected || e.Retryable {
		t.Fatalf("rejected: %v", err)
	}
	if n := rejectedCalls.Load() - before; n != 1 {
		t.Errorf("an error without RetryInfo was retried: %d calls", n)
	}
}

func runTool(name, args string) string { return `{"temp_c":21,"tool":"` + name + `"}` }

func TestReadmeToolLoop_LiveDaemon_ToolRoundTrip(t *testing.T) {
	if os.Getenv(SocketEnv) == "" {
		t.Skip("no live daemon ($SIDECAR_SOCKET unset)")
	}
	ctx := context.Background()
	client, err := Dial(ctx, "", WithDefaultKeyRef("fake"), WithDefaultModel("fake-tools"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var answer string
	turns := 0

	req := &sidecarv1.CompleteRequest{
		Messages: []*sidecarv1.Message{UserMessage("What is the weather in Paris?")},
		Tools: []*sidecarv1.Tool{{
			Name:                 "get_weather",
			Description:          "Current weather in a city",
			ParametersJsonSchema: `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`,
		}},
		ToolChoice: ToolChoiceAuto(),
	}
	for ; turns < 5; turns++ {
		resp, err := client.Complete(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetFinishReason() != sidecarv1.FinishReason_FINISH_REASON_TOOL_CALLS {
			answer = resp.GetMessage().GetContent() // the final answer
			break
		}
		req.Messages = append(req.Messages, resp.GetMessage()) // the assistant turn, tool calls included
		for _, call := range resp.GetMessage().GetToolCalls() {
			result := runTool(call.GetName(), call.GetArgumentsJson()) // your code; returns JSON text
			req.Messages = append(req.Messages, ToolMessage(call.GetId(), result))
		}
		req.ToolChoice = nil // after the first turn, let the model answer (auto)
	}

	if want := `tool call_1 said: {"temp_c":21,"tool":"get_weather"}`; answer != want || turns != 1 {
		t.Errorf("after %d tool turns the answer is %q, want %q after 1", turns, answer, want)
	}
	if n := len(req.Messages); n != 3 || req.Messages[2].GetRole() != sidecarv1.Role_ROLE_TOOL || req.Messages[2].GetToolCallId() != "call_1" {
		t.Errorf("conversation: %v", req.Messages)
	}
}
