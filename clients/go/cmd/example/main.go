// Command example is a tiny agent: it streams the daemon's answer to a prompt to stdout.
//
//	go run ./cmd/example -key-ref echo "hello there"
//	go run ./cmd/example -socket /tmp/sidecar.sock -key-ref team-a -model gpt-4o-mini "Say hi"
//
// Usage and the finish reason go to stderr. On an error it prints the status code, the
// ErrorInfo reason, any retry delay and field violations, and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"sidecar.dev/sidecar"
	"sidecar.dev/sidecar/sidecarv1"
)

func main() {
	socket := flag.String("socket", "", "daemon socket (default $SIDECAR_SOCKET, else "+sidecar.DefaultSocketPath+")")
	keyRef := flag.String("key-ref", "echo", "key reference to call with")
	model := flag.String("model", "echo-1", "model name")
	system := flag.String("system", "", "optional system message")
	timeout := flag.Duration("timeout", 60*time.Second, "deadline of the whole call")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] prompt...\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	prompt := strings.Join(flag.Args(), " ")
	if prompt == "" {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	client, err := sidecar.Dial(ctx, *socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()

	req := &sidecarv1.CompleteRequest{KeyRef: *keyRef, Model: *model}
	if *system != "" {
		req.Messages = append(req.Messages, &sidecarv1.Message{Role: sidecarv1.Role_ROLE_SYSTEM, Content: *system})
	}
	req.Messages = append(req.Messages, &sidecarv1.Message{Role: sidecarv1.Role_ROLE_USER, Content: prompt})

	callCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := stream(callCtx, client, req); err != nil {
		report(err)
		os.Exit(1)
	}
}

func stream(ctx context.Context, client *sidecar.Client, req *sidecarv1.CompleteRequest) error {
	s, err := client.StreamComplete(ctx, req)
	if err != nil {
		return err
	}
	for {
		chunk, err := s.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			fmt.Println()
			return err
		}
		fmt.Print(chunk.GetContentDelta())
		for _, tc := range chunk.GetToolCallDeltas() {
			fmt.Fprintf(os.Stderr, "[tool call %d %s %s] %s\n", tc.GetIndex(), tc.GetId(), tc.GetName(), tc.GetArgumentsDelta())
		}
		if fr := chunk.GetFinishReason(); fr != sidecarv1.FinishReason_FINISH_REASON_UNSPECIFIED {
			fmt.Println()
			u := chunk.GetUsage()
			fmt.Fprintf(os.Stderr, "[%s; tokens: prompt %d, completion %d, total %d]\n", fr,
				u.GetPromptTokens(), u.GetCompletionTokens(), u.GetTotalTokens())
		}
	}
}

func report(err error) {
	fmt.Fprintf(os.Stderr, "error: %s", sidecar.CodeName(sidecar.StatusCode(err)))
	if r := sidecar.ErrorReason(err); r != "" {
		fmt.Fprintf(os.Stderr, " (%s)", r)
	}
	msg := err.Error()
	if s, ok := sidecar.Status(err); ok {
		msg = s.Message()
	}
	fmt.Fprintf(os.Stderr, ": %s\n", msg)
	if d, ok := sidecar.RetryDelay(err); ok {
		fmt.Fprintf(os.Stderr, "  the daemon suggests retrying in %s\n", d)
	}
	for _, fv := range sidecar.FieldViolations(err) {
		fmt.Fprintf(os.Stderr, "  %s: %s\n", fv.GetField(), fv.GetDescription())
	}
}
