package sidecar

import (
	"errors"
	"io"
	"sort"
	"strings"

	"sidecar.dev/sidecar/sidecarv1"
)

// ErrStreamIncomplete is returned by Accumulate when a stream ends without a chunk that carries a
// finish reason. The daemon ends such a stream with an error status instead, so seeing this
// means something between the daemon and the caller cut it.
var ErrStreamIncomplete = errors.New("sidecar: the stream ended without a finish reason")

// Accumulator merges the chunks of a StreamComplete into the answer Complete would have given:
// content deltas appended in order, tool-call deltas merged by index (id and name from the
// piece that carries them, arguments concatenated), and the finish reason, usage and served_by
// (who answered) of the last chunk. The zero value is ready to use; it is not safe for concurrent use.
//
//	var acc sidecar.Accumulator
//	for {
//		chunk, err := stream.Recv()
//		if err == io.EOF { break }
//		if err != nil { return err }
//		fmt.Print(chunk.GetContentDelta())
//		acc.Add(chunk)
//	}
//	resp := acc.Response()
type Accumulator struct {
	id, model string
	text      strings.Builder
	calls     map[int32]*toolCallParts
	finish    sidecarv1.FinishReason
	usage     *sidecarv1.Usage
	servedBy  *sidecarv1.ServedBy
}

type toolCallParts struct {
	id, name string
	args     strings.Builder
}

// Add merges one chunk.
func (a *Accumulator) Add(chunk *sidecarv1.CompleteChunk) {
	if a.id == "" {
		a.id = chunk.GetId()
	}
	if a.model == "" {
		a.model = chunk.GetModel()
	}
	a.text.WriteString(chunk.GetContentDelta())
	for _, d := range chunk.GetToolCallDeltas() {
		if a.calls == nil {
			a.calls = make(map[int32]*toolCallParts)
		}
		p := a.calls[d.GetIndex()]
		if p == nil {
			p = &toolCallParts{}
			a.calls[d.GetIndex()] = p
		}
		if p.id == "" {
			p.id = d.GetId()
		}
		if p.name == "" {
			p.name = d.GetName()
		}
		p.args.WriteString(d.GetArgumentsDelta())
	}
	if fr := chunk.GetFinishReason(); fr != sidecarv1.FinishReason_FINISH_REASON_UNSPECIFIED {
		a.finish = fr
	}
	if u := chunk.GetUsage(); u != nil {
		a.usage = u
	}
	if sb := chunk.GetServedBy(); sb != nil {
		a.servedBy = sb
	}
}

// Done reports whether a chunk with a finish reason has been added (the stream is complete).
func (a *Accumulator) Done() bool {
	return a.finish != sidecarv1.FinishReason_FINISH_REASON_UNSPECIFIED
}

// Response returns the merged answer so far: an assistant message with the text and the tool
// calls (by index), the finish reason, the usage (nil when the upstream reported none) and
// served_by (nil until the last chunk).
func (a *Accumulator) Response() *sidecarv1.CompleteResponse {
	msg := &sidecarv1.Message{Role: sidecarv1.Role_ROLE_ASSISTANT, Content: a.text.String()}
	indexes := make([]int32, 0, len(a.calls))
	for i := range a.calls {
		indexes = append(indexes, i)
	}
	sort.Slice(indexes, func(x, y int) bool { return indexes[x] < indexes[y] })
	for _, i := range indexes {
		p := a.calls[i]
		msg.ToolCalls = append(msg.ToolCalls, &sidecarv1.ToolCall{Id: p.id, Name: p.name, ArgumentsJson: p.args.String()})
	}
	return &sidecarv1.CompleteResponse{Id: a.id, Model: a.model, Message: msg, FinishReason: a.finish, Usage: a.usage, ServedBy: a.servedBy}
}

// ChunkReceiver is what StreamComplete returns (sidecarv1.Completions_StreamCompleteClient).
type ChunkReceiver interface {
	Recv() (*sidecarv1.CompleteChunk, error)
}

// Accumulate reads the stream to its end and returns the merged answer (see Accumulator). On an
// error it returns what arrived before it together with the error (an *Error from a Client);
// discard that partial answer rather than use it. A stream that ends without a finish reason
// gives ErrStreamIncomplete. To stop early, cancel the stream's context.
func Accumulate(stream ChunkReceiver) (*sidecarv1.CompleteResponse, error) {
	var acc Accumulator
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			if !acc.Done() {
				return acc.Response(), ErrStreamIncomplete
			}
			return acc.Response(), nil
		}
		if err != nil {
			return acc.Response(), err
		}
		acc.Add(chunk)
	}
}
