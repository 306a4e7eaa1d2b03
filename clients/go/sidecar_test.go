package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"sidecar.dev/sidecar/sidecarv1"
)

// ---- socket path resolution -----------------------------------------------------------------

func TestSocketPath(t *testing.T) {
	t.Setenv(SocketEnv, "")
	if got := SocketPath(""); got != DefaultSocketPath {
		t.Errorf("no explicit path, env empty: got %q, want %q", got, DefaultSocketPath)
	}
	t.Setenv(SocketEnv, "/run/from-env.sock")
	if got := SocketPath(""); got != "/run/from-env.sock" {
		t.Errorf("env set: got %q, want the env value", got)
	}
	if got := SocketPath("/explicit.sock"); got != "/explicit.sock" {
		t.Errorf("explicit path must win over the env: got %q", got)
	}
	os.Unsetenv(SocketEnv)
	if got := SocketPath(""); got != DefaultSocketPath {
		t.Errorf("env unset: got %q, want %q", got, DefaultSocketPath)
	}
}

// ---- error helpers on hand-built statuses ---------------------------------------------------

func richError(t *testing.T) error {
	t.Helper()
	s, err := status.New(codes.ResourceExhausted, "slow down").WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonUpstreamRateLimited, Domain: ErrorDomain, Metadata: map[string]string{"key_ref": "team-a"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
	)
	if err != nil {
		t.Fatal(err)
	}
	return s.Err()
}

func TestErrorHelpers(t *testing.T) {
	err := richError(t)
	if got := ErrorReason(err); got != ReasonUpstreamRateLimited {
		t.Errorf("ErrorReason = %q, want %q", got, ReasonUpstreamRateLimited)
	}
	if info := ErrorInfo(err); info.GetDomain() != ErrorDomain || info.GetMetadata()["key_ref"] != "team-a" {
		t.Errorf("ErrorInfo = %v", info)
	}
	if d, ok := RetryDelay(err); !ok || d != 1500*time.Millisecond {
		t.Errorf("RetryDelay = %v, %v; want 1.5s, true", d, ok)
	}
	if fv := FieldViolations(err); fv != nil {
		t.Errorf("FieldViolations = %v, want nil", fv)
	}
	if c := StatusCode(err); c != codes.ResourceExhausted {
		t.Errorf("StatusCode = %v", c)
	}

	// Wrapped errors keep their details.
	wrapped := fmt.Errorf("calling sidecar: %w", err)
	if got := ErrorReason(wrapped); got != ReasonUpstreamRateLimited {
		t.Errorf("ErrorReason(wrapped) = %q", got)
	}
	if _, ok := RetryDelay(wrapped); !ok {
		t.Error("RetryDelay(wrapped): no RetryInfo found")
	}
}

func TestFieldViolations(t *testing.T) {
	s, err := status.New(codes.InvalidArgument, "bad request").WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonInvalidRequest, Domain: ErrorDomain},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "messages", Description: "at least one message is required"},
			{Field: "messages[0].role", Description: "must not be ROLE_UNSPECIFIED"},
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	fv := FieldViolations(s.Err())
	if len(fv) != 2 || fv[0].GetField() != "messages" || fv[1].GetField() != "messages[0].role" {
		t.Fatalf("FieldViolations = %v", fv)
	}
	if _, ok := RetryDelay(s.Err()); ok {
		t.Error("RetryDelay reported a delay on an error without RetryInfo")
	}
}

func TestErrorHelpersWithoutDetails(t *testing.T) {
	for name, err := range map[string]error{
		"nil":           nil,
		"plain error":   errors.New("boom"),
		"bare status":   status.Error(codes.DeadlineExceeded, "deadline"),
		"wrapped plain": fmt.Errorf("x: %w", io.EOF),
	} {
		if r := ErrorReason(err); r != "" {
			t.Errorf("%s: ErrorReason = %q, want empty", name, r)
		}
		if _, ok := RetryDelay(err); ok {
			t.Errorf("%s: RetryDelay ok", name)
		}
		if fv := FieldViolations(err); fv != nil {
			t.Errorf("%s: FieldViolations = %v", name, fv)
		}
	}
	if StatusCode(nil) != codes.OK || StatusCode(errors.New("x")) != codes.Unknown {
		t.Error("StatusCode of nil / non-gRPC errors")
	}
	if CodeName(codes.Canceled) != "CANCELLED" || CodeName(codes.InvalidArgument) != "INVALID_ARGUMENT" {
		t.Error("CodeName spelling")
	}
}

// ---- a fake daemon on a real Unix socket ----------------------------------------------------

type fakeHealth struct {
	healthpb.UnimplementedHealthServer
	serving atomic.Bool
	checks  chan string // every Check's service name, dropped when full
}

func (h *fakeHealth) Check(_ context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	select {
	case h.checks <- req.GetService():
	default:
	}
	if req.GetService() != HealthService && req.GetService() != "" {
		return nil, status.Error(codes.NotFound, "unknown service")
	}
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if h.serving.Load() {
		st = healthpb.HealthCheckResponse_SERVING
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// Calls of the "flaky" and "rejected" models since the process started.
var flakyCalls, rejectedCalls atomic.Int32

type fakeCompletions struct {
	sidecarv1.UnimplementedCompletionsServer
}

func deadlineInfo(ctx context.Context) string {
	dl, ok := ctx.Deadline()
	if !ok {
		return "none"
	}
	return time.Until(dl).String()
}

func rateLimited() error {
	s, _ := status.New(codes.ResourceExhausted, "upstream rate limit").WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonUpstreamRateLimited, Domain: ErrorDomain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(2 * time.Second)})
	return s.Err()
}

func (fakeCompletions) Complete(ctx context.Context, req *sidecarv1.CompleteRequest) (*sidecarv1.CompleteResponse, error) {
	switch req.GetModel() {
	case "deadline":
		return &sidecarv1.CompleteResponse{Id: deadlineInfo(ctx)}, nil
	case "rate-limited":
		return nil, rateLimited()
	case "echo-fields":
		return &sidecarv1.CompleteResponse{Id: req.GetKeyRef() + "/" + req.GetModel()}, nil
	case "flaky":
		if flakyCalls.Add(1) == 1 {
			s, _ := status.New(codes.Unavailable, "upstream down").WithDetails(
				&errdetails.ErrorInfo{Reason: ReasonUpstreamUnavailable, Domain: ErrorDomain},
				&errdetails.RetryInfo{RetryDelay: durationpb.New(10 * time.Millisecond)})
			return nil, s.Err()
		}
	case "rejected":
		rejectedCalls.Add(1)
		s, _ := status.New(codes.InvalidArgument, "no such model").WithDetails(
			&errdetails.ErrorInfo{Reason: ReasonUpstreamRejected, Domain: ErrorDomain})
		return nil, s.Err()
	}
	last := req.GetMessages()[len(req.GetMessages())-1].GetContent()
	return &sidecarv1.CompleteResponse{
		Message:      &sidecarv1.Message{Role: sidecarv1.Role_ROLE_ASSISTANT, Content: last},
		FinishReason: sidecarv1.FinishReason_FINISH_REASON_STOP,
	}, nil
}

func (fakeCompletions) StreamComplete(req *sidecarv1.CompleteRequest, srv sidecarv1.Completions_StreamCompleteServer) error {
	switch req.GetModel() {
	case "deadline":
		return srv.Send(&sidecarv1.CompleteChunk{Id: deadlineInfo(srv.Context())})
	case "rate-limited-after-one":
		if err := srv.Send(&sidecarv1.CompleteChunk{ContentDelta: "partial"}); err != nil {
			return err
		}
		return rateLimited()
	case "echo-fields":
		return srv.Send(&sidecarv1.CompleteChunk{Id: req.GetKeyRef() + "/" + req.GetModel(),
			FinishReason: sidecarv1.FinishReason_FINISH_REASON_STOP})
	case "tool-deltas":
		for _, c := range toolDeltaChunks() {
			if err := srv.Send(c); err != nil {
				return err
			}
		}
		return nil
	case "no-finish":
		return srv.Send(&sidecarv1.CompleteChunk{ContentDelta: "cut"})
	}
	for _, w := range strings.Fields(req.GetMessages()[0].GetContent()) {
		if err := srv.Send(&sidecarv1.CompleteChunk{ContentDelta: w}); err != nil {
			return err
		}
	}
	return srv.Send(&sidecarv1.CompleteChunk{FinishReason: sidecarv1.FinishReason_FINISH_REASON_STOP})
}

// startFake serves the fake on a fresh socket; health is nil for a server without health.
func startFake(t *testing.T, health *fakeHealth) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sidecar.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	sidecarv1.RegisterCompletionsServer(srv, fakeCompletions{})
	if health != nil {
		healthpb.RegisterHealthServer(srv, health)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return path
}

func newHealth(serving bool) *fakeHealth {
	h := &fakeHealth{checks: make(chan string, 64)}
	h.serving.Store(serving)
	return h
}

func dialFake(t *testing.T, path string, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func userMsg(s string) []*sidecarv1.Message {
	return []*sidecarv1.Message{{Role: sidecarv1.Role_ROLE_USER, Content: s}}
}

func TestDialWaitsUntilServing(t *testing.T) {
	h := newHealth(false)
	path := startFake(t, h)

	type result struct {
		c   *Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Dial(context.Background(), path, WithReadyTimeout(time.Minute))
		done <- result{c, err}
	}()
	// The daemon answered NOT_SERVING at least once; only now does it become ready.
	if svc := <-h.checks; svc != HealthService {
		t.Errorf("health check asked for %q, want %q", svc, HealthService)
	}
	select {
	case r := <-done:
		t.Fatalf("Dial returned before the daemon was SERVING: %v", r.err)
	default:
	}
	h.serving.Store(true)
	r := <-done
	if r.err != nil {
		t.Fatalf("Dial: %v", r.err)
	}
	defer r.c.Close()
	resp, err := r.c.Complete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "m", Messages: userMsg("hi")})
	if err != nil || resp.GetMessage().GetContent() != "hi" {
		t.Fatalf("Complete after Dial: %v, %v", resp, err)
	}
}

func TestDialGivesUpWithClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nobody-listens.sock")
	_, err := Dial(context.Background(), path, WithReadyTimeout(200*time.Millisecond))
	if err == nil {
		t.Fatal("Dial succeeded with nothing listening")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("error should name the socket and say it is not ready: %v", err)
	}

	// Never SERVING: the last health answer is in the error.
	pathNS := startFake(t, newHealth(false))
	_, err = Dial(context.Background(), pathNS, WithReadyTimeout(200*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "NOT_SERVING") {
		t.Errorf("Dial to a NOT_SERVING daemon: %v", err)
	}
}

func TestDialFailsFastWithoutHealthService(t *testing.T) {
	path := startFake(t, nil)
	_, err := Dial(context.Background(), path, WithReadyTimeout(time.Minute))
	if err == nil || !strings.Contains(err.Error(), "grpc.health.v1") {
		t.Fatalf("Dial to a server without health: %v", err)
	}
}

func TestDialResolvesSocketFromEnv(t *testing.T) {
	path := startFake(t, newHealth(true))
	t.Setenv(SocketEnv, path)
	c := dialFake(t, "")
	if c.SocketPath() != path {
		t.Errorf("SocketPath() = %q, want %q", c.SocketPath(), path)
	}
}

func TestDefaultDeadline(t *testing.T) {
	path := startFake(t, newHealth(true))
	req := &sidecarv1.CompleteRequest{KeyRef: "k", Model: "deadline", Messages: userMsg("x")}
	remaining := func(t *testing.T, info string) time.Duration {
		t.Helper()
		d, err := time.ParseDuration(info)
		if err != nil {
			t.Fatalf("server saw no deadline (%q)", info)
		}
		return d
	}

	c := dialFake(t, path, WithDefaultTimeout(30*time.Second))
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if d := remaining(t, resp.GetId()); d > 30*time.Second {
		t.Errorf("unary without a deadline: server saw %v left, want at most the 30s default", d)
	}
	stream, err := c.StreamComplete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if d := remaining(t, chunk.GetId()); d > 30*time.Second {
		t.Errorf("stream without a deadline: server saw %v left", d)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("stream end: %v", err)
	}

	// The caller's own deadline is kept, even when longer than the default.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	resp, err = c.Complete(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if d := remaining(t, resp.GetId()); d <= 30*time.Second {
		t.Errorf("caller's 1h deadline replaced: server saw %v left", d)
	}

	// WithDefaultTimeout(0) turns the default off.
	c0 := dialFake(t, path, WithDefaultTimeout(0))
	resp, err = c0.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() != "none" {
		t.Errorf("default deadline off: server saw %q, want none", resp.GetId())
	}
}

func TestRichErrorsOverTheWire(t *testing.T) {
	c := dialFake(t, startFake(t, newHealth(true)))
	_, err := c.Complete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "rate-limited", Messages: userMsg("x")})
	if StatusCode(err) != codes.ResourceExhausted || ErrorReason(err) != ReasonUpstreamRateLimited {
		t.Fatalf("unary error: code %v reason %q (%v)", StatusCode(err), ErrorReason(err), err)
	}
	if d, ok := RetryDelay(err); !ok || d != 2*time.Second {
		t.Errorf("unary RetryDelay = %v, %v", d, ok)
	}

	stream, err := c.StreamComplete(context.Background(), &sidecarv1.CompleteRequest{KeyRef: "k", Model: "rate-limited-after-one", Messages: userMsg("x")})
	if err != nil {
		t.Fatal(err)
	}
	if chunk, err := stream.Recv(); err != nil || chunk.GetContentDelta() != "partial" {
		t.Fatalf("first chunk: %v %v", chunk, err)
	}
	_, err = stream.Recv()
	if StatusCode(err) != codes.ResourceExhausted || ErrorReason(err) != ReasonUpstreamRateLimited {
		t.Fatalf("stream error: code %v reason %q (%v)", StatusCode(err), ErrorReason(err), err)
	}
	if d, ok := RetryDelay(err); !ok || d != 2*time.Second {
		t.Errorf("stream RetryDelay = %v, %v", d, ok)
	}
}
