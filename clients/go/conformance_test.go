package sidecar_test

// The shared conformance cases (tests/conformance/cases.json, semantics in its README.md) run
// against a live daemon at $SIDECAR_SOCKET, e.g.
//
//	tests/conformance/with-daemon.sh clients/go/test.sh
//
// Without $SIDECAR_SOCKET the test skips, or fails when SIDECAR_CONFORMANCE_REQUIRED=1.
// $SIDECAR_CONFORMANCE_CASES overrides the path of cases.json.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"sidecar.dev/sidecar"
	"sidecar.dev/sidecar/sidecarv1"
)

type confFile struct {
	Comment string     `json:"comment"`
	Cases   []confCase `json:"cases"`
}

type confCase struct {
	Name              string          `json:"name"`
	Comment           string          `json:"comment"`
	RPC               string          `json:"rpc"`
	Request           json.RawMessage `json:"request"`
	Expect            confExpect      `json:"expect"`
	DeadlineMs        int             `json:"deadlineMs"`
	CancelAfterChunks int             `json:"cancelAfterChunks"`
	CancelAfterMs     int             `json:"cancelAfterMs"`
	Readiness         *confReadiness  `json:"readiness"`
}

type confReadiness struct {
	SocketAppearsAfterMs int `json:"socketAppearsAfterMs"`
	ReadyTimeoutMs       int `json:"readyTimeoutMs"`
}

type confExpect struct {
	Text           *string             `json:"text"`
	MinChunks      int                 `json:"minChunks"`
	FinishReason   string              `json:"finishReason"`
	Usage          map[string]int64    `json:"usage"`
	ToolCalls      []map[string]string `json:"toolCalls"`
	Code           string              `json:"code"`
	Reason         string              `json:"reason"`
	FieldViolation string              `json:"fieldViolation"`
	RetryDelayMs   *int64              `json:"retryDelayMs"`
	NotReady       bool                `json:"notReady"`
	ServedBy       *confServedBy       `json:"servedBy"`
}

// confServedBy is expect.servedBy: every field is required (checked by TestConformanceHarness).
type confServedBy struct {
	KeyRef   *string `json:"keyRef"`
	Model    *string `json:"model"`
	Attempts *int32  `json:"attempts"`
	Cached   *bool   `json:"cached"`
}

// casesPath finds tests/conformance/cases.json above this directory.
func casesPath(t *testing.T) string {
	if p := os.Getenv("SIDECAR_CONFORMANCE_CASES"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "tests", "conformance", "cases.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("tests/conformance/cases.json not found above the working directory (set SIDECAR_CONFORMANCE_CASES)")
		}
		dir = parent
	}
}

func loadCases(t *testing.T) []confCase {
	path := casesPath(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Unknown keys fail loudly: a new kind of expectation must not be silently ignored.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f confFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v (does this client know every field of the file?)", path, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return f.Cases
}

func TestConformance(t *testing.T) {
	socket := os.Getenv(sidecar.SocketEnv)
	if socket == "" {
		msg := "SIDECAR_SOCKET is not set: no daemon to run tests/conformance/cases.json against " +
			"(run: tests/conformance/with-daemon.sh clients/go/test.sh)"
		if os.Getenv("SIDECAR_CONFORMANCE_REQUIRED") == "1" {
			t.Fatal(msg + "; SIDECAR_CONFORMANCE_REQUIRED=1, so this is a failure")
		}
		t.Skip(msg)
	}
	cases := loadCases(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A case that hangs fails after 30 s instead of the 120 s default.
	client, err := sidecar.Dial(ctx, socket, sidecar.WithReadyTimeout(30*time.Second), sidecar.WithDefaultTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("Dial %s: %v", socket, err)
	}
	defer client.Close()

	seen := map[string]bool{}
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			c := c
			if seen[c.Name] || c.Name == "" {
				t.Errorf("case name %q is empty or repeated", c.Name)
			}
			seen[c.Name] = true
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				runCase(t, client, socket, c)
			})
		}
	})
}

// outcome is what a call produced, in the terms of cases.json.
type outcome struct {
	notReady     error // the readiness wait of a case's own client failed
	err          error
	text         string
	chunks       int // streaming: chunks carrying content or tool-call deltas
	finishReason sidecarv1.FinishReason
	usage        *sidecarv1.Usage
	toolCalls    []*sidecarv1.ToolCall
	servedBy     *sidecarv1.ServedBy // unary: the response's; streaming: the last chunk's
}

func runCase(t *testing.T, client *sidecar.Client, socket string, c confCase) {
	req := &sidecarv1.CompleteRequest{}
	if err := protojson.Unmarshal(c.Request, req); err != nil {
		t.Fatalf("request is not a valid sidecar.v1.CompleteRequest in JSON: %v", err)
	}
	if c.Readiness != nil {
		own, err := dialLate(t, socket, *c.Readiness)
		if err != nil {
			check(t, c.Expect, outcome{notReady: err})
			return
		}
		defer own.Close()
		client = own
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.DeadlineMs > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(c.DeadlineMs)*time.Millisecond)
		defer cancel()
	}
	if c.CancelAfterMs > 0 {
		timer := time.AfterFunc(time.Duration(c.CancelAfterMs)*time.Millisecond, cancel)
		defer timer.Stop()
	}

	var out outcome
	switch c.RPC {
	case "Complete":
		out = callUnary(ctx, t, client, req)
	case "StreamComplete":
		out = callStream(ctx, cancel, t, client, req, c.CancelAfterChunks)
	default:
		t.Fatalf("unknown rpc %q", c.RPC)
	}
	check(t, c.Expect, out)
}

// dialLate dials a socket path of its own where nothing listens; when r says so, a link to the
// daemon's socket appears there after r.SocketAppearsAfterMs. Dial's readiness wait must ride over
// the gap (or give up after r.ReadyTimeoutMs).
func dialLate(t *testing.T, socket string, r confReadiness) (*sidecar.Client, error) {
	path := filepath.Join(t.TempDir(), "late.sock")
	if r.SocketAppearsAfterMs > 0 {
		target, err := filepath.Abs(socket)
		if err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(time.Duration(r.SocketAppearsAfterMs)*time.Millisecond, func() {
			if err := os.Symlink(target, path); err != nil {
				t.Errorf("link the daemon's socket: %v", err)
			}
		})
		defer timer.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.ReadyTimeoutMs)*time.Millisecond+10*time.Second)
	defer cancel()
	return sidecar.Dial(ctx, path, sidecar.WithReadyTimeout(time.Duration(r.ReadyTimeoutMs)*time.Millisecond), sidecar.WithDefaultTimeout(30*time.Second))
}

func callUnary(ctx context.Context, t *testing.T, client *sidecar.Client, req *sidecarv1.CompleteRequest) outcome {
	resp, err := client.Complete(ctx, req)
	if err != nil {
		return outcome{err: err}
	}
	if r := resp.GetMessage().GetRole(); r != sidecarv1.Role_ROLE_ASSISTANT {
		t.Errorf("contract: the answer's role is %s, want ROLE_ASSISTANT", r)
	}
	return outcome{
		text:         resp.GetMessage().GetContent(),
		finishReason: resp.GetFinishReason(),
		usage:        resp.GetUsage(),
		toolCalls:    resp.GetMessage().GetToolCalls(),
		servedBy:     resp.GetServedBy(),
	}
}

func callStream(ctx context.Context, cancel context.CancelFunc, t *testing.T, client *sidecar.Client, req *sidecarv1.CompleteRequest, cancelAfter int) outcome {
	stream, err := client.StreamComplete(ctx, req)
	if err != nil {
		return outcome{err: err}
	}
	var (
		out      outcome
		text     strings.Builder
		received int
		last     *sidecarv1.CompleteChunk
		calls    = map[int32]*sidecarv1.ToolCall{}
	)
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.err = err
			break
		}
		if last != nil && (last.GetFinishReason() != sidecarv1.FinishReason_FINISH_REASON_UNSPECIFIED || last.GetUsage() != nil || last.GetServedBy() != nil) {
			t.Errorf("contract: chunk %d carried finish_reason/usage/served_by but was not the last chunk", received)
		}
		received++
		last = chunk
		text.WriteString(chunk.GetContentDelta())
		if chunk.GetContentDelta() != "" || len(chunk.GetToolCallDeltas()) > 0 {
			out.chunks++
		}
		for _, d := range chunk.GetToolCallDeltas() {
			tc := calls[d.GetIndex()]
			if tc == nil {
				tc = &sidecarv1.ToolCall{}
				calls[d.GetIndex()] = tc
			}
			if tc.Id == "" {
				tc.Id = d.GetId()
			}
			if tc.Name == "" {
				tc.Name = d.GetName()
			}
			tc.ArgumentsJson += d.GetArgumentsDelta()
		}
		if cancelAfter > 0 && received == cancelAfter {
			cancel() // the rest of the loop reads until the stream reports the cancellation
		}
	}
	if cancelAfter > 0 && received < cancelAfter {
		t.Errorf("the stream ended after %d chunks, before the client could cancel after %d", received, cancelAfter)
	}
	out.text = text.String()
	if last != nil {
		out.finishReason = last.GetFinishReason()
		out.usage = last.GetUsage()
		out.servedBy = last.GetServedBy()
	}
	idx := make([]int, 0, len(calls))
	for i := range calls {
		idx = append(idx, int(i))
	}
	sort.Ints(idx)
	for _, i := range idx {
		out.toolCalls = append(out.toolCalls, calls[int32(i)])
	}
	return out
}

func describe(err error) string {
	return fmt.Sprintf("%s (reason %q): %v", sidecar.CodeName(sidecar.StatusCode(err)), sidecar.ErrorReason(err), err)
}

func check(t *testing.T, want confExpect, got outcome) {
	t.Helper()
	if want.NotReady {
		if got.notReady == nil {
			t.Fatalf("the readiness wait succeeded; want it to give up")
		}
		return
	}
	if got.notReady != nil {
		t.Fatalf("the readiness wait failed: %v", got.notReady)
	}
	if want.Code != "" {
		if got.err == nil {
			t.Fatalf("the call succeeded (text %q); want status %s", got.text, want.Code)
		}
		// What a stream delivered before it failed.
		if want.Text != nil && got.text != *want.Text {
			t.Errorf("text before the error %q, want %q", got.text, *want.Text)
		}
		if got.chunks < want.MinChunks {
			t.Errorf("%d chunks carried content before the error, want at least %d", got.chunks, want.MinChunks)
		}
		if want.RetryDelayMs != nil {
			if d, ok := sidecar.RetryDelay(got.err); !ok {
				t.Errorf("no RetryInfo; want a retry delay of %d ms; error: %s", *want.RetryDelayMs, describe(got.err))
			} else if d.Milliseconds() != *want.RetryDelayMs {
				t.Errorf("RetryInfo.retry_delay %s, want %d ms", d, *want.RetryDelayMs)
			}
		}
		if code := sidecar.CodeName(sidecar.StatusCode(got.err)); code != want.Code {
			t.Errorf("status code %s, want %s; error: %s", code, want.Code, describe(got.err))
		}
		if want.Reason != "" {
			if r := sidecar.ErrorReason(got.err); r != want.Reason {
				t.Errorf("ErrorInfo.reason %q, want %q; error: %s", r, want.Reason, describe(got.err))
			} else if d := sidecar.ErrorInfo(got.err).GetDomain(); d != sidecar.ErrorDomain {
				t.Errorf("ErrorInfo.domain %q, want %q", d, sidecar.ErrorDomain)
			}
		}
		if want.FieldViolation != "" {
			var fields []string
			for _, fv := range sidecar.FieldViolations(got.err) {
				fields = append(fields, fv.GetField())
			}
			found := false
			for _, f := range fields {
				found = found || f == want.FieldViolation
			}
			if !found {
				t.Errorf("no BadRequest field violation for %q; got %q", want.FieldViolation, fields)
			}
		}
		return
	}
	if want.Reason != "" || want.FieldViolation != "" || want.RetryDelayMs != nil {
		t.Fatalf("bad case: reason/fieldViolation/retryDelayMs without code")
	}
	if got.err != nil {
		t.Fatalf("the call failed: %s", describe(got.err))
	}
	// The contract, on every answer: served_by names who answered (on a stream, the last chunk).
	// attempts counts the targets tried: at least 1, unless the answer came from the cache.
	if got.servedBy == nil || got.servedBy.GetKeyRef() == "" || (got.servedBy.GetAttempts() < 1 && !got.servedBy.GetCached()) {
		t.Errorf("contract: the answer's served_by is %v, want a key_ref and attempts >= 1 (unless cached)", got.servedBy)
	}
	if want.ServedBy != nil {
		checkServedBy(t, *want.ServedBy, got.servedBy)
	}
	if want.Text != nil && got.text != *want.Text {
		t.Errorf("text %q, want %q", got.text, *want.Text)
	}
	if got.chunks < want.MinChunks {
		t.Errorf("%d chunks carried content or tool-call deltas, want at least %d", got.chunks, want.MinChunks)
	}
	if want.FinishReason != "" {
		if fr := got.finishReason.String(); fr != want.FinishReason {
			t.Errorf("finish_reason %s, want %s", fr, want.FinishReason)
		}
	}
	if want.Usage != nil {
		checkUsage(t, want.Usage, got.usage)
	}
	if want.ToolCalls != nil {
		checkToolCalls(t, want.ToolCalls, got.toolCalls)
	}
}

func checkServedBy(t *testing.T, want confServedBy, got *sidecarv1.ServedBy) {
	t.Helper()
	if want.KeyRef == nil || want.Model == nil || want.Attempts == nil || want.Cached == nil {
		t.Fatalf("bad case: servedBy needs keyRef, model, attempts and cached")
	}
	if got.GetKeyRef() != *want.KeyRef || got.GetModel() != *want.Model || got.GetAttempts() != *want.Attempts || got.GetCached() != *want.Cached {
		t.Errorf("served_by {keyRef %q, model %q, attempts %d, cached %v}, want {keyRef %q, model %q, attempts %d, cached %v}",
			got.GetKeyRef(), got.GetModel(), got.GetAttempts(), got.GetCached(), *want.KeyRef, *want.Model, *want.Attempts, *want.Cached)
	}
}

// asJSONMap renders m in the protobuf JSON mapping (camelCase names, defaults included).
func asJSONMap(t *testing.T, m proto.Message) map[string]interface{} {
	t.Helper()
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkUsage(t *testing.T, want map[string]int64, got *sidecarv1.Usage) {
	t.Helper()
	if got == nil {
		t.Errorf("no usage; want %v", want)
		return
	}
	m := asJSONMap(t, got)
	for k, v := range want {
		gv, ok := m[k].(float64)
		if !ok {
			t.Errorf("usage has no field %q (got %v)", k, m)
		} else if int64(gv) != v {
			t.Errorf("usage.%s = %v, want %d (usage %v)", k, gv, v, m)
		}
	}
}

func checkToolCalls(t *testing.T, want []map[string]string, got []*sidecarv1.ToolCall) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d tool calls, want %d: %v", len(got), len(want), got)
		return
	}
	for i, w := range want {
		m := asJSONMap(t, got[i])
		for k, v := range w {
			gv, _ := m[k].(string)
			if k == "argumentsJson" && sameJSON(gv, v) {
				continue
			}
			if gv != v {
				t.Errorf("toolCalls[%d].%s = %q, want %q", i, k, gv, v)
			}
		}
	}
}

// sameJSON reports whether a and b are the same JSON value (key order and spacing aside).
func sameJSON(a, b string) bool {
	var va, vb interface{}
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// TestConformanceHarness checks the case runner itself against cases.json's shape, without a
// daemon: every case parses, names a known rpc and expects something.
func TestConformanceHarness(t *testing.T) {
	for _, c := range loadCases(t) {
		req := &sidecarv1.CompleteRequest{}
		if err := protojson.Unmarshal(c.Request, req); err != nil {
			t.Errorf("%s: request: %v", c.Name, err)
		}
		if c.RPC != "Complete" && c.RPC != "StreamComplete" {
			t.Errorf("%s: unknown rpc %q", c.Name, c.RPC)
		}
		if reflect.DeepEqual(c.Expect, confExpect{}) {
			t.Errorf("%s: expects nothing", c.Name)
		}
		if c.CancelAfterChunks > 0 && c.RPC != "StreamComplete" {
			t.Errorf("%s: cancelAfterChunks on a unary call", c.Name)
		}
		if c.CancelAfterMs > 0 && c.RPC != "Complete" {
			t.Errorf("%s: cancelAfterMs on a stream (use cancelAfterChunks)", c.Name)
		}
		if c.Expect.Code != "" && (c.Expect.FinishReason != "" || c.Expect.Usage != nil || c.Expect.ToolCalls != nil || c.Expect.ServedBy != nil) {
			t.Errorf("%s: a failing call has no finishReason, usage, toolCalls or servedBy", c.Name)
		}
		if sb := c.Expect.ServedBy; sb != nil && (sb.KeyRef == nil || sb.Model == nil || sb.Attempts == nil || sb.Cached == nil) {
			t.Errorf("%s: servedBy needs keyRef, model, attempts and cached", c.Name)
		}
		if c.Expect.NotReady && (c.Readiness == nil || c.Readiness.SocketAppearsAfterMs > 0) {
			t.Errorf("%s: notReady needs readiness without socketAppearsAfterMs", c.Name)
		}
		if c.Readiness != nil && c.Readiness.ReadyTimeoutMs <= 0 {
			t.Errorf("%s: readiness needs readyTimeoutMs", c.Name)
		}
	}
}
