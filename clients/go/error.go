package sidecar

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a failed call, with the daemon's error details read out. Every call made through a
// Client returns its errors as *Error:
//
//	var e *sidecar.Error
//	if errors.As(err, &e) && e.Retryable {
//		time.Sleep(e.RetryDelay)
//	}
//
// It still carries the gRPC status (status.Code(err), status.FromError(err) and the helpers
// ErrorReason, RetryDelay, ... all work on it).
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the status message (never a secret).
	Message string
	// Reason is the google.rpc.ErrorInfo reason (ReasonKeyRefNotFound, ...); "" when the error
	// carries none, as errors made by gRPC itself (DEADLINE_EXCEEDED, CANCELLED) do.
	Reason string
	// Domain is the ErrorInfo domain (ErrorDomain for the daemon's own errors).
	Domain string
	// Metadata is the ErrorInfo metadata (e.g. "key_ref"), or nil.
	Metadata map[string]string
	// Retryable is true when the same call is worth retrying automatically after RetryDelay:
	// the daemon attached a google.rpc.RetryInfo, and the reason is not ReasonBudgetExhausted
	// (whose RetryInfo says when the key_ref's daily or monthly token budget resets, which may be
	// hours away). Without RetryInfo, retrying unchanged does not help.
	Retryable bool
	// RetryDelay is the google.rpc.RetryInfo delay: how long to wait before retrying, or, with
	// ReasonBudgetExhausted, until the budget resets. 0 when the error carries no RetryInfo.
	RetryDelay time.Duration
	// FieldViolations are the google.rpc.BadRequest violations (fields named as in the proto,
	// e.g. "messages[0].role"), or nil.
	FieldViolations []*errdetails.BadRequest_FieldViolation

	status *status.Status
}

// Error gives code, reason and message: "sidecar: NOT_FOUND (KEY_REF_NOT_FOUND): ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sidecar: ")
	b.WriteString(CodeName(e.Code))
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	switch {
	case e.Retryable:
		fmt.Fprintf(&b, " (retry in %s)", e.RetryDelay)
	case e.Reason == ReasonBudgetExhausted && e.RetryDelay > 0:
		fmt.Fprintf(&b, " (budget resets in %s)", e.RetryDelay)
	}
	return b.String()
}

// GRPCStatus returns the status the error was made from, so the grpc/status package (and
// anything built on it) sees through *Error.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// FromError reads the daemon's details out of any error that carries a gRPC status (for calls
// made without a Client, e.g. on Client.Conn()); an *Error is returned as it is. ok is false for
// nil and for errors that carry no status.
func FromError(err error) (e *Error, ok bool) {
	if err == nil {
		return nil, false
	}
	if errors.As(err, &e) {
		return e, true
	}
	s, ok := Status(err)
	if !ok || s.Code() == codes.OK {
		return nil, false
	}
	e = &Error{Code: s.Code(), Message: s.Message(), status: s}
	if info := ErrorInfo(err); info != nil {
		e.Reason, e.Domain, e.Metadata = info.GetReason(), info.GetDomain(), info.GetMetadata()
	}
	var hasRetryInfo bool
	e.RetryDelay, hasRetryInfo = RetryDelay(err)
	e.Retryable = hasRetryInfo && e.Reason != ReasonBudgetExhausted
	e.FieldViolations = FieldViolations(err)
	return e, true
}

// asError turns a status error into *Error and leaves anything else (nil, io.EOF) alone.
func asError(err error) error {
	if e, ok := FromError(err); ok {
		return e
	}
	return err
}
