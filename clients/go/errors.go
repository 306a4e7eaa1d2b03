package sidecar

import (
	"errors"
	"sort"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sidecar.dev/sidecar/sidecarv1"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every error the daemon itself reports.
const ErrorDomain = "sidecar"

// The ErrorInfo reasons the daemon reports (docs/design.md, "Errors"): the names of the values of
// the contract's sidecarv1.ErrorReason enum (protos/sidecar/v1/errors.proto), which documents when
// each is sent. They are variables rather than constants because they are read from the generated
// enum, so that this list cannot drift from the contract; Reasons lists them all.
var (
	ReasonInvalidRequest         = sidecarv1.ErrorReason_INVALID_REQUEST.String()          // INVALID_ARGUMENT: fix the request (FieldViolations says what)
	ReasonKeyRefNotFound         = sidecarv1.ErrorReason_KEY_REF_NOT_FOUND.String()        // NOT_FOUND: no such key_ref configured
	ReasonKeyRefForbidden        = sidecarv1.ErrorReason_KEY_REF_FORBIDDEN.String()        // PERMISSION_DENIED: this process may not use the key_ref
	ReasonModelNotAllowed        = sidecarv1.ErrorReason_MODEL_NOT_ALLOWED.String()        // PERMISSION_DENIED: the model is not in the key_ref's allow-list
	ReasonKeyUnavailable         = sidecarv1.ErrorReason_KEY_UNAVAILABLE.String()          // FAILED_PRECONDITION: the daemon cannot read the secret
	ReasonUpstreamAuth           = sidecarv1.ErrorReason_UPSTREAM_AUTH.String()            // UNAUTHENTICATED: the provider refused the key
	ReasonUpstreamRejected       = sidecarv1.ErrorReason_UPSTREAM_REJECTED.String()        // INVALID_ARGUMENT / NOT_FOUND: the provider refused the request
	ReasonUpstreamRateLimited    = sidecarv1.ErrorReason_UPSTREAM_RATE_LIMITED.String()    // RESOURCE_EXHAUSTED + RetryInfo
	ReasonLocalLimit             = sidecarv1.ErrorReason_LOCAL_LIMIT.String()              // RESOURCE_EXHAUSTED + RetryInfo
	ReasonUpstreamUnavailable    = sidecarv1.ErrorReason_UPSTREAM_UNAVAILABLE.String()     // UNAVAILABLE + RetryInfo
	ReasonCircuitOpen            = sidecarv1.ErrorReason_CIRCUIT_OPEN.String()             // UNAVAILABLE + RetryInfo
	ReasonUpstreamStreamBroken   = sidecarv1.ErrorReason_UPSTREAM_STREAM_BROKEN.String()   // UNAVAILABLE + RetryInfo: the stream broke mid-answer
	ReasonShuttingDown           = sidecarv1.ErrorReason_SHUTTING_DOWN.String()            // UNAVAILABLE + RetryInfo: the daemon is stopping
	ReasonSharedLimit            = sidecarv1.ErrorReason_SHARED_LIMIT.String()             // RESOURCE_EXHAUSTED + RetryInfo: a limit shared through Redis is full
	ReasonBudgetExhausted        = sidecarv1.ErrorReason_BUDGET_EXHAUSTED.String()         // RESOURCE_EXHAUSTED + RetryInfo (when the budget resets): not worth retrying automatically
	ReasonInternal               = sidecarv1.ErrorReason_INTERNAL.String()                 // INTERNAL: the daemon failed unexpectedly (its log has the details)
	ReasonSharedStateUnavailable = sidecarv1.ErrorReason_SHARED_STATE_UNAVAILABLE.String() // UNAVAILABLE + RetryInfo: Redis is away and FailMode is closed
)

// Reasons returns every ErrorInfo reason the daemon may send, in the contract's order: the names
// of sidecarv1.ErrorReason's values except ERROR_REASON_UNSPECIFIED, which is never sent.
func Reasons() []string {
	numbers := make([]int32, 0, len(sidecarv1.ErrorReason_name))
	for n := range sidecarv1.ErrorReason_name {
		if n != int32(sidecarv1.ErrorReason_ERROR_REASON_UNSPECIFIED) {
			numbers = append(numbers, n)
		}
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
	names := make([]string, len(numbers))
	for i, n := range numbers {
		names[i] = sidecarv1.ErrorReason_name[n]
	}
	return names
}

// Status returns the gRPC status carried by err, also when err wraps it (fmt.Errorf("%w")).
// ok is false when err carries no status (nil, or not a gRPC error).
func Status(err error) (s *status.Status, ok bool) {
	var se interface{ GRPCStatus() *status.Status }
	if err == nil || !errors.As(err, &se) {
		return nil, false
	}
	s = se.GRPCStatus()
	return s, s != nil
}

// StatusCode returns the gRPC code of err: codes.OK for nil, codes.Unknown for an error that
// is not a gRPC status.
func StatusCode(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if s, ok := Status(err); ok {
		return s.Code()
	}
	return codes.Unknown
}

func details(err error) []interface{} {
	s, ok := Status(err)
	if !ok {
		return nil
	}
	return s.Details()
}

// ErrorInfo returns the google.rpc.ErrorInfo detail of err, or nil.
func ErrorInfo(err error) *errdetails.ErrorInfo {
	for _, d := range details(err) {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// ErrorReason returns the google.rpc.ErrorInfo reason of err (e.g. "KEY_REF_NOT_FOUND"), or ""
// when err carries none (errors made by gRPC itself, such as DEADLINE_EXCEEDED, have none).
func ErrorReason(err error) string {
	return ErrorInfo(err).GetReason()
}

// RetryDelay returns how long the daemon asks to wait before retrying (google.rpc.RetryInfo);
// ok is false when err carries no RetryInfo, in which case the daemon does not suggest that a
// retry helps.
func RetryDelay(err error) (delay time.Duration, ok bool) {
	for _, d := range details(err) {
		if ri, isRI := d.(*errdetails.RetryInfo); isRI && ri.GetRetryDelay() != nil {
			rd := ri.GetRetryDelay()
			if rd.CheckValid() != nil {
				continue
			}
			delay = rd.AsDuration()
			if delay < 0 {
				delay = 0
			}
			return delay, true
		}
	}
	return 0, false
}

// FieldViolations returns the google.rpc.BadRequest field violations of err (fields named as
// in the protobuf message, e.g. "messages[0].role"), or nil.
func FieldViolations(err error) []*errdetails.BadRequest_FieldViolation {
	var out []*errdetails.BadRequest_FieldViolation
	for _, d := range details(err) {
		if br, ok := d.(*errdetails.BadRequest); ok {
			out = append(out, br.GetFieldViolations()...)
		}
	}
	return out
}

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// CodeName returns the canonical gRPC name of c ("NOT_FOUND", "CANCELLED", ...), as other
// languages and the docs spell it; codes.Code.String gives Go's spelling ("NotFound").
func CodeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return c.String()
}
