// Package sidecar is the Go client of the Sidecar daemon: it dials the daemon's Unix socket,
// waits until the daemon reports SERVING on grpc.health.v1, gives every call a default deadline,
// and reads the rich error details (google.rpc.ErrorInfo, RetryInfo, BadRequest) the daemon
// attaches to its errors.
//
// The generated API (messages, the Completions client) is in package
// sidecar.dev/sidecar/sidecarv1.
//
//	c, err := sidecar.Dial(ctx, "") // $SIDECAR_SOCKET, else /var/run/sidecar/sidecar.sock
//	if err != nil { ... }
//	defer c.Close()
//	resp, err := c.Complete(ctx, &sidecarv1.CompleteRequest{KeyRef: "team-a", Model: "gpt-4o-mini",
//		Messages: []*sidecarv1.Message{{Role: sidecarv1.Role_ROLE_USER, Content: "hi"}}})
package sidecar

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"sidecar.dev/sidecar/sidecarv1"
)

const (
	// DefaultSocketPath is where the daemon listens unless configured otherwise.
	DefaultSocketPath = "/var/run/sidecar/sidecar.sock"
	// SocketEnv names the environment variable that overrides DefaultSocketPath (honoured by
	// the daemon and by every client).
	SocketEnv = "SIDECAR_SOCKET"
	// HealthService is the grpc.health.v1 service name the daemon reports SERVING for once it
	// accepts Completions calls.
	HealthService = "sidecar.v1.Completions"

	// DefaultReadyTimeout bounds how long Dial waits for the daemon to become SERVING.
	DefaultReadyTimeout = 10 * time.Second
	// DefaultCallTimeout is the deadline given to a call whose context has none.
	DefaultCallTimeout = 120 * time.Second
)

// SocketPath resolves the daemon's socket path: explicit if not empty, else $SIDECAR_SOCKET if
// set and not empty, else DefaultSocketPath.
func SocketPath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if env := os.Getenv(SocketEnv); env != "" {
		return env
	}
	return DefaultSocketPath
}

type options struct {
	readyTimeout time.Duration
	callTimeout  time.Duration
	waitReady    bool
	dialOptions  []grpc.DialOption
	defaults     requestDefaults
}

// Option configures Dial.
type Option func(*options)

// WithReadyTimeout bounds the wait for the daemon to report SERVING (default 10 s). The wait
// also ends when Dial's context is done.
func WithReadyTimeout(d time.Duration) Option { return func(o *options) { o.readyTimeout = d } }

// WithoutReadyWait makes Dial return at once without the health check; the first call then
// fails fast with UNAVAILABLE if the daemon is not up (or waits, with grpc.WaitForReady(true)).
func WithoutReadyWait() Option { return func(o *options) { o.waitReady = false } }

// WithDefaultTimeout sets the deadline given to calls whose context has none (default 120 s, as in every client;
// it covers a whole stream, not each message). 0 or less turns the default deadline off.
func WithDefaultTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// WithDefaultKeyRef sets the key_ref of requests that leave it empty (a request's own key_ref
// always wins). It applies to Complete and StreamComplete alike.
func WithDefaultKeyRef(keyRef string) Option { return func(o *options) { o.defaults.keyRef = keyRef } }

// WithDefaultModel sets the model of requests that leave it empty (a request's own model always
// wins). It applies to Complete and StreamComplete alike.
func WithDefaultModel(model string) Option { return func(o *options) { o.defaults.model = model } }

// WithDialOptions adds grpc.DialOptions (interceptors, keepalive, message size limits, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, opts...) }
}

// Client is a connection to the daemon. It embeds the generated Completions client, so
// c.Complete and c.StreamComplete are the API; Conn gives the underlying *grpc.ClientConn.
// Their errors are *Error values (use errors.As), which also carry the gRPC status
// (status.Code(err) works). It is safe for concurrent use; make one per process and Close it
// at the end.
type Client struct {
	sidecarv1.CompletionsClient
	conn       *grpc.ClientConn
	socketPath string
}

// Conn returns the underlying connection (for other services on the same socket, such as
// grpc.health.v1).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// SocketPath returns the path this client dialed.
func (c *Client) SocketPath() string { return c.socketPath }

// Close closes the connection; calls in flight end with CANCELED.
func (c *Client) Close() error { return c.conn.Close() }

// Dial connects to the daemon's Unix socket. socketPath "" means $SIDECAR_SOCKET, else
// DefaultSocketPath. Unless WithoutReadyWait is given, Dial waits — at most the ready timeout,
// and no longer than ctx allows — until grpc.health.v1 Check("sidecar.v1.Completions") answers
// SERVING, so a just-started daemon (or pod) is not an error. Calls made through the returned
// Client get a 120 s deadline when their context has none (see WithDefaultTimeout), and their
// errors are *Error values.
func Dial(ctx context.Context, socketPath string, opts ...Option) (*Client, error) {
	o := options{readyTimeout: DefaultReadyTimeout, callTimeout: DefaultCallTimeout, waitReady: true}
	for _, opt := range opts {
		opt(&o)
	}
	path := SocketPath(socketPath)

	dialOpts := []grpc.DialOption{
		grpc.WithInsecure(), // a Unix socket on the same host; access is controlled by file mode
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}),
		// The daemon is a local HTTP/2 server; "localhost" is what every client sends.
		grpc.WithAuthority("localhost"),
		// A local socket: retry the connection quickly while the daemon starts.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
	}
	// Ours come first in the chain, so the caller's interceptors see the filled-in request and
	// the deadline, and the caller sees *Error.
	dialOpts = append(dialOpts,
		grpc.WithChainUnaryInterceptor(unaryInterceptor(o.callTimeout, o.defaults)),
		grpc.WithChainStreamInterceptor(streamInterceptor(o.callTimeout, o.defaults)))
	dialOpts = append(dialOpts, o.dialOptions...)

	conn, err := grpc.DialContext(ctx, "unix:"+path, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("sidecar: dial %s: %w", path, err)
	}
	if o.waitReady {
		if err := waitServing(ctx, conn, o.readyTimeout); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sidecar: daemon at %s not ready: %w", path, err)
		}
	}
	return &Client{CompletionsClient: sidecarv1.NewCompletionsClient(conn), conn: conn, socketPath: path}, nil
}

// waitServing calls grpc.health.v1 Check until it answers SERVING or the timeout passes.
// WaitForReady makes each Check wait for the connection instead of failing while the socket is
// not there yet; between answers that are not SERVING it backs off (50 ms doubling to 1 s).
func waitServing(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := healthpb.NewHealthClient(conn)
	pause := 50 * time.Millisecond
	var last error
	for {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: HealthService}, grpc.WaitForReady(true))
		switch {
		case err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING:
			return nil
		case err == nil:
			last = fmt.Errorf("health check of %q answered %s", HealthService, resp.GetStatus())
		case StatusCode(err) == codes.Unimplemented:
			return fmt.Errorf("no grpc.health.v1 service on the socket (is this a Sidecar daemon?): %w", err)
		case ctx.Err() == nil || last == nil:
			// Keep an earlier, more telling answer over the final "deadline exceeded".
			last = err
		}
		if ctx.Err() == nil {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			if pause *= 2; pause > time.Second {
				pause = time.Second
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("gave up after %s (connection %s): %w", timeout, conn.GetState(), last)
		}
	}
}

// requestDefaults fills the key_ref and model a CompleteRequest leaves empty.
type requestDefaults struct{ keyRef, model string }

// apply returns req, or a copy with the defaults filled in: the caller's message is never
// changed (it may be reused or shared between goroutines).
func (d requestDefaults) apply(req interface{}) interface{} {
	r, ok := req.(*sidecarv1.CompleteRequest)
	if !ok || r == nil {
		return req
	}
	fillKey := d.keyRef != "" && r.GetKeyRef() == ""
	fillModel := d.model != "" && r.GetModel() == ""
	if !fillKey && !fillModel {
		return req
	}
	c := proto.Clone(r).(*sidecarv1.CompleteRequest)
	if fillKey {
		c.KeyRef = d.keyRef
	}
	if fillModel {
		c.Model = d.model
	}
	return c
}

// unaryInterceptor gives a call without a deadline the default one (timeout > 0), fills the
// request defaults and returns errors as *Error.
func unaryInterceptor(timeout time.Duration, defaults requestDefaults) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return asError(invoker(ctx, method, defaults.apply(req), reply, cc, opts...))
	}
}

// streamInterceptor does for streams what unaryInterceptor does for unary calls; the default
// deadline covers the whole stream.
func streamInterceptor(timeout time.Duration, defaults requestDefaults) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cancel := context.CancelFunc(func() {})
		if _, ok := ctx.Deadline(); !ok && timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		}
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, asError(err)
		}
		return &clientStream{ClientStream: s, cancel: cancel, defaults: defaults}, nil
	}
}

// clientStream fills the request defaults on the way out, returns errors as *Error, and
// releases the default deadline's timer once the stream has ended (RecvMsg returned io.EOF or
// an error). A stream abandoned early is released when the deadline fires.
type clientStream struct {
	grpc.ClientStream
	cancel   context.CancelFunc
	defaults requestDefaults
}

func (s *clientStream) SendMsg(m interface{}) error {
	return asError(s.ClientStream.SendMsg(s.defaults.apply(m)))
}

func (s *clientStream) RecvMsg(m interface{}) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		s.cancel()
		if err != io.EOF {
			err = asError(err)
		}
	}
	return err
}
