package sidecar

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"sidecar.dev/sidecar/sidecarv1"
)

// ---- *Error --------------------------------------------------------------------------------

func TestErrorAs_UnaryAndStreamErrors_CarryDetails(t *testing.T) {
	c := dialFake(t, startFake(t, newHealth(true)))
	_, err := c.Complete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "rate-limited", Messages: userMsg("x")})
	var e *Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
		t.Fatalf("unary error %T is not a *sidecar.Error: %v", err, err)
	}
	if e.Code != codes.ResourceExhausted || e.Reason != ReasonUpstreamRateLimited || e.Domain != ErrorDomain ||
		!e.Retryable || e.RetryDelay != 2*time.Second || e.Message != "upstream rate limit" {
		t.Errorf("unary *Error = %+v", e)
	}
	// The gRPC status stays reachable for code written against grpc/status.
	if status.Code(err) != codes.ResourceExhausted || StatusCode(err) != codes.ResourceExhausted {
		t.Errorf("status.Code(*Error) = %v", status.Code(err))
	}
	if want := "sidecar: RESOURCE_EXHAUSTED (UPSTREAM_RATE_LIMITED): upstream rate limit (retry in 2s)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}

	stream, err := c.StreamComplete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "rate-limited-after-one", Messages: userMsg("x")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Accumulate(stream)
	e = nil
	if !errors.As(err, &e) || e.Reason != ReasonUpstreamRateLimited || e.RetryDelay != 2*time.Second {
		t.Fatalf("stream error: %T %v", err, err)
	}
	if resp.GetMessage().GetContent() != "partial" {
		t.Errorf("partial answer before the error = %q", resp.GetMessage().GetContent())
	}
}

func TestFromError_BadRequest_FieldViolationsAndMetadata(t *testing.T) {
	s, err := status.New(codes.InvalidArgument, "bad request").WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonInvalidRequest, Domain: ErrorDomain, Metadata: map[string]string{"field": "messages"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "messages[0].role", Description: "must not be ROLE_UNSPECIFIED"}}})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := FromError(fmt.Errorf("x: %w", s.Err()))
	if !ok {
		t.Fatal("FromError: no status found")
	}
	if e.Code != codes.InvalidArgument || e.Reason != ReasonInvalidRequest || e.Metadata["field"] != "messages" ||
		e.Retryable || e.RetryDelay != 0 || len(e.FieldViolations) != 1 || e.FieldViolations[0].GetField() != "messages[0].role" {
		t.Errorf("FromError = %+v", e)
	}
	if again, _ := FromError(e); again != e {
		t.Error("FromError(*Error) must return the same *Error")
	}
	for name, in := range map[string]error{"nil": nil, "plain": errors.New("x"), "ok status": status.New(codes.OK, "").Err()} {
		if e, ok := FromError(in); ok || e != nil {
			t.Errorf("FromError(%s) = %v, %v", name, e, ok)
		}
	}
	bare, _ := FromError(status.Error(codes.DeadlineExceeded, "deadline"))
	if bare.Reason != "" || bare.Retryable || bare.Error() != "sidecar: DEADLINE_EXCEEDED: deadline" {
		t.Errorf("bare status: %+v %q", bare, bare.Error())
	}
}

func budgetError(reason string, delay time.Duration) error {
	s, _ := status.New(codes.ResourceExhausted, "over budget").WithDetails(
		&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	return s.Err()
}

func TestFromError_BudgetExhausted_NotRetryableButSaysWhenTheBudgetResets(t *testing.T) {
	e, _ := FromError(budgetError(ReasonBudgetExhausted, 5*time.Hour))
	if e.Retryable || e.RetryDelay != 5*time.Hour || e.Reason != "BUDGET_EXHAUSTED" {
		t.Errorf("FromError = %+v", e)
	}
	if want := "sidecar: RESOURCE_EXHAUSTED (BUDGET_EXHAUSTED): over budget (budget resets in 5h0m0s)"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestFromError_SharedLimit_RetryableAfterRetryInfo(t *testing.T) {
	e, _ := FromError(budgetError(ReasonSharedLimit, 300*time.Millisecond))
	if !e.Retryable || e.RetryDelay != 300*time.Millisecond || e.Reason != "SHARED_LIMIT" {
		t.Errorf("FromError = %+v", e)
	}
}

// ---- reasons --------------------------------------------------------------------------------

// Every exported Reason variable, as a caller names it. A value added to sidecar.v1.ErrorReason
// makes Reasons() longer than this list, and the test below fails until it gets its variable.
var exportedReasons = []string{
	ReasonInvalidRequest, ReasonKeyRefNotFound, ReasonKeyRefForbidden, ReasonModelNotAllowed,
	ReasonKeyUnavailable, ReasonUpstreamAuth, ReasonUpstreamRejected, ReasonUpstreamRateLimited,
	ReasonLocalLimit, ReasonUpstreamUnavailable, ReasonCircuitOpen, ReasonUpstreamStreamBroken,
	ReasonShuttingDown, ReasonSharedLimit, ReasonBudgetExhausted, ReasonInternal,
	ReasonSharedStateUnavailable,
}

func TestReasons_AreTheContractsErrorReasonNames(t *testing.T) {
	// The enum's values by number, read from its descriptor; ERROR_REASON_UNSPECIFIED is never sent.
	values := sidecarv1.ErrorReason(0).Descriptor().Values()
	var want []string
	for i := 0; i < values.Len(); i++ {
		if v := values.Get(i); v.Number() != 0 {
			want = append(want, string(v.Name()))
		}
	}
	if got := Reasons(); !reflect.DeepEqual(got, want) {
		t.Errorf("Reasons() = %v\nwant the ErrorReason names %v", got, want)
	}
	if !reflect.DeepEqual(exportedReasons, want) {
		t.Errorf("the exported Reason variables are %v\nwant one per ErrorReason value: %v", exportedReasons, want)
	}
	if ReasonKeyRefNotFound != "KEY_REF_NOT_FOUND" || ReasonSharedLimit != "SHARED_LIMIT" {
		t.Errorf("a reason is not its wire name: %q, %q", ReasonKeyRefNotFound, ReasonSharedLimit)
	}
}

// ---- tool choice and messages ---------------------------------------------------------------

func TestToolChoiceConstructors(t *testing.T) {
	for _, tc := range []struct {
		got  *sidecarv1.ToolChoice
		mode sidecarv1.ToolChoiceMode
		fn   string
	}{
		{ToolChoiceAuto(), sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO, ""},
		{ToolChoiceNone(), sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE, ""},
		{ToolChoiceRequired(), sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED, ""},
		{ToolChoiceFunction("get_weather"), sidecarv1.ToolChoiceMode_TOOL_CHOICE_MODE_UNSPECIFIED, "get_weather"},
	} {
		if tc.got.GetMode() != tc.mode || tc.got.GetFunctionName() != tc.fn {
			t.Errorf("%v: mode %v fn %q, want %v %q", tc.got, tc.got.GetMode(), tc.got.GetFunctionName(), tc.mode, tc.fn)
		}
	}
	if _, isFn := ToolChoiceFunction("f").GetChoice().(*sidecarv1.ToolChoice_FunctionName); !isFn {
		t.Error("ToolChoiceFunction does not set the function_name arm of the oneof")
	}
	m := ToolMessage("call_1", `{"ok":true}`)
	if m.GetRole() != sidecarv1.Role_ROLE_TOOL || m.GetToolCallId() != "call_1" || m.GetContent() != `{"ok":true}` {
		t.Errorf("ToolMessage = %v", m)
	}
	if UserMessage("u").GetRole() != sidecarv1.Role_ROLE_USER || SystemMessage("s").GetRole() != sidecarv1.Role_ROLE_SYSTEM {
		t.Error("UserMessage / SystemMessage roles")
	}
}

// ---- stream accumulator ---------------------------------------------------------------------

// toolDeltaChunks is a stream with text, two tool calls whose pieces interleave (index 1 starts
// first), usage and a finish reason on the last chunk.
func toolDeltaChunks() []*sidecarv1.CompleteChunk {
	return []*sidecarv1.CompleteChunk{
		{Id: "cmpl-1", Model: "m-1", ContentDelta: "Let me "},
		{Id: "cmpl-1", Model: "m-1", ContentDelta: "check.", ToolCallDeltas: []*sidecarv1.ToolCallDelta{
			{Index: 1, Id: "call_b", Name: "get_time", ArgumentsDelta: `{"tz":`}}},
		{Id: "cmpl-1", ToolCallDeltas: []*sidecarv1.ToolCallDelta{
			{Index: 0, Id: "call_a", Name: "get_weather", ArgumentsDelta: `{"city"`},
			{Index: 1, ArgumentsDelta: `"UTC"}`}}},
		{Id: "cmpl-1", ToolCallDeltas: []*sidecarv1.ToolCallDelta{{Index: 0, ArgumentsDelta: `:"Paris"}`}}},
		{Id: "cmpl-1", FinishReason: sidecarv1.FinishReason_FINISH_REASON_TOOL_CALLS,
			Usage:    &sidecarv1.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
			ServedBy: &sidecarv1.ServedBy{KeyRef: "pool-b", Model: "m-1-2024", Attempts: 2}},
	}
}

func TestAccumulate_ToolCallDeltas_MergedByIndex(t *testing.T) {
	c := dialFake(t, startFake(t, newHealth(true)))
	stream, err := c.StreamComplete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "tool-deltas", Messages: userMsg("x")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Accumulate(stream)
	if err != nil {
		t.Fatal(err)
	}
	want := &sidecarv1.CompleteResponse{
		Id: "cmpl-1", Model: "m-1",
		Message: &sidecarv1.Message{Role: sidecarv1.Role_ROLE_ASSISTANT, Content: "Let me check.", ToolCalls: []*sidecarv1.ToolCall{
			{Id: "call_a", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
			{Id: "call_b", Name: "get_time", ArgumentsJson: `{"tz":"UTC"}`},
		}},
		FinishReason: sidecarv1.FinishReason_FINISH_REASON_TOOL_CALLS,
		Usage:        &sidecarv1.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		ServedBy:     &sidecarv1.ServedBy{KeyRef: "pool-b", Model: "m-1-2024", Attempts: 2},
	}
	if !proto.Equal(got, want) {
		t.Errorf("Accumulate =\n %v\nwant\n %v", got, want)
	}
}

func TestAccumulator_BeforeTheLastChunk_NotDone(t *testing.T) {
	var acc Accumulator
	if acc.Done() || acc.Response().GetMessage().GetContent() != "" || acc.Response().GetUsage() != nil {
		t.Fatal("zero Accumulator is not empty")
	}
	chunks := toolDeltaChunks()
	for _, ch := range chunks[:len(chunks)-1] {
		acc.Add(ch)
	}
	if acc.Done() || acc.Response().GetFinishReason() != sidecarv1.FinishReason_FINISH_REASON_UNSPECIFIED || acc.Response().GetServedBy() != nil {
		t.Error("Done (or served_by set) before the chunk with the finish reason")
	}
	acc.Add(chunks[len(chunks)-1])
	if !acc.Done() || len(acc.Response().GetMessage().GetToolCalls()) != 2 || acc.Response().GetServedBy().GetKeyRef() != "pool-b" {
		t.Errorf("after the last chunk: done %v, %v", acc.Done(), acc.Response())
	}
}

func TestAccumulate_StreamWithoutFinishReason_ErrStreamIncomplete(t *testing.T) {
	c := dialFake(t, startFake(t, newHealth(true)))
	stream, err := c.StreamComplete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "no-finish", Messages: userMsg("x")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Accumulate(stream)
	if !errors.Is(err, ErrStreamIncomplete) || resp.GetMessage().GetContent() != "cut" {
		t.Errorf("Accumulate = %v, %v; want the partial text and ErrStreamIncomplete", resp, err)
	}
}

// ---- client-level defaults ------------------------------------------------------------------

func TestDefaultKeyRefAndModel_FillOnlyEmptyFields(t *testing.T) {
	path := startFake(t, newHealth(true))
	c := dialFake(t, path, WithDefaultKeyRef("team-a"), WithDefaultModel("echo-fields"))
	ctx := context.Background()

	req := &sidecarv1.CompleteRequest{Messages: userMsg("x")}
	resp, err := c.Complete(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() != "team-a/echo-fields" {
		t.Errorf("unary with defaults: server saw %q", resp.GetId())
	}
	if req.GetKeyRef() != "" || req.GetModel() != "" {
		t.Errorf("the caller's request was changed: %v", req)
	}
	resp, err = c.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "own", Messages: userMsg("x")})
	if err != nil || resp.GetId() != "own/echo-fields" {
		t.Errorf("a request's own key_ref must win: %q, %v", resp.GetId(), err)
	}

	stream, err := c.StreamComplete(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	sresp, err := Accumulate(stream)
	if err != nil || sresp.GetId() != "team-a/echo-fields" {
		t.Errorf("stream with defaults: server saw %q, %v", sresp.GetId(), err)
	}

	// Without defaults, empty fields go out empty.
	plain := dialFake(t, path)
	resp, err = plain.Complete(ctx, &sidecarv1.CompleteRequest{Model: "echo-fields", Messages: userMsg("x")})
	if err != nil || resp.GetId() != "/echo-fields" {
		t.Errorf("no defaults: server saw %q, %v", resp.GetId(), err)
	}
}
