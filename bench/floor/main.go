// Command floor is the bench's floor reference: what the least a gRPC server over a Unix socket
// costs on this machine, and what a bare round trip between two processes costs.
//
//	floor serve -socket PATH   a minimal sidecar.v1.Completions server (grpc-go, Debian's packages):
//	                           unary and streamed canned replies, grpc.health.v1 "readiness" SERVING
//	floor rtt -n N             N one-byte round trips over a socketpair between this process and a
//	                           child process; prints the round-trip distribution in µs as JSON
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	pb "sidecar.dev/sidecar/sidecarv1"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor serve -socket PATH | floor rtt -n N")
		os.Exit(2)
	}

	switch os.Args[1] {
	case "serve":
		flags := flag.NewFlagSet("serve", flag.ExitOnError)
		socket := flags.String("socket", "", "Unix socket path to listen on")
		_ = flags.Parse(os.Args[2:])
		if err := serve(*socket); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
	case "rtt":
		flags := flag.NewFlagSet("rtt", flag.ExitOnError)
		n := flags.Int("n", 20000, "round trips")
		_ = flags.Parse(os.Args[2:])
		if err := rtt(*n); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
	case "rtt-child":
		echoChild()
	default:
		fmt.Fprintln(os.Stderr, "usage: floor serve -socket PATH | floor rtt -n N")
		os.Exit(2)
	}
}

// completions answers as the daemon's echo provider does, with nothing behind it: the last
// message's content comes back, whole or word by word, then a chunk with the finish reason and usage.
type completions struct {
	pb.UnimplementedCompletionsServer
}

func (completions) Complete(_ context.Context, req *pb.CompleteRequest) (*pb.CompleteResponse, error) {
	text := lastContent(req)
	return &pb.CompleteResponse{
		Id:           "floor",
		Model:        req.Model,
		Message:      &pb.Message{Role: pb.Role_ROLE_ASSISTANT, Content: text},
		FinishReason: pb.FinishReason_FINISH_REASON_STOP,
		Usage:        usage(req, text),
	}, nil
}

func (completions) StreamComplete(req *pb.CompleteRequest, stream pb.Completions_StreamCompleteServer) error {
	text := lastContent(req)
	for _, word := range words(text) {
		if err := stream.Send(&pb.CompleteChunk{Id: "floor", Model: req.Model, ContentDelta: word}); err != nil {
			return err
		}
	}
	return stream.Send(&pb.CompleteChunk{Id: "floor", Model: req.Model, FinishReason: pb.FinishReason_FINISH_REASON_STOP, Usage: usage(req, text)})
}

func lastContent(req *pb.CompleteRequest) string {
	if len(req.Messages) == 0 {
		return ""
	}
	return req.Messages[len(req.Messages)-1].Content
}

// words splits text into pieces that concatenate back to it: each word with the space before it.
func words(text string) []string {
	var out []string
	start := 0
	for i := 1; i <= len(text); i++ {
		if i == len(text) || (text[i] == ' ' && text[i-1] != ' ') {
			out = append(out, text[start:i])
			start = i
		}
	}
	return out
}

func usage(req *pb.CompleteRequest, answer string) *pb.Usage {
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content))
	}
	completion := len(strings.Fields(answer))
	return &pb.Usage{PromptTokens: int32(prompt), CompletionTokens: int32(completion), TotalTokens: int32(prompt + completion)}
}

func serve(socket string) error {
	if socket == "" {
		return fmt.Errorf("-socket is required")
	}
	_ = os.Remove(socket)
	listener, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	server := grpc.NewServer()
	pb.RegisterCompletionsServer(server, completions{})
	healthServer := health.NewServer()
	healthServer.SetServingStatus("readiness", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(server, healthServer)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.GracefulStop()
	}()
	return server.Serve(listener)
}

// rtt measures one-byte round trips over a socketpair to a child process that echoes each byte
// back, with blocking reads and writes on both sides: the kernel's wake-up of another process,
// twice, and nothing else.
func rtt(n int) error {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	childEnd := os.NewFile(uintptr(fds[1]), "child")
	child := exec.Command(self, "rtt-child")
	child.ExtraFiles = []*os.File{childEnd} // fd 3 in the child
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	childEnd.Close()
	fd := fds[0]
	buf := []byte{0}
	samples := make([]float64, 0, n)
	warm := n / 10
	for i := 0; i < n+warm; i++ {
		start := time.Now()
		if _, err := syscall.Write(fd, buf); err != nil {
			return err
		}
		if _, err := syscall.Read(fd, buf); err != nil {
			return err
		}
		if i >= warm {
			samples = append(samples, float64(time.Since(start).Nanoseconds())/1000)
		}
	}
	syscall.Close(fd)
	_ = child.Wait()
	sort.Float64s(samples)
	at := func(q float64) float64 { return samples[int(q*float64(len(samples)-1))] }
	return json.NewEncoder(os.Stdout).Encode(map[string]float64{
		"count": float64(len(samples)), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": samples[len(samples)-1],
	})
}

func echoChild() {
	buf := []byte{0}
	for {
		if n, err := syscall.Read(3, buf); err != nil || n == 0 {
			return
		}
		if _, err := syscall.Write(3, buf); err != nil {
			return
		}
	}
}
