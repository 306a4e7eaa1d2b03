module sidecar.dev/bench/floor

go 1.19

// The versions Debian 12 packages (build.sh builds against /usr/share/gocode/src, as clients/go does);
// sidecar.dev/sidecar is this repository's clients/go, linked into vendor/ by build.sh.
require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
	sidecar.dev/sidecar v0.0.0
)

require (
	github.com/golang/protobuf v1.5.2 // indirect
	golang.org/x/net v0.7.0 // indirect
	golang.org/x/sys v0.3.0 // indirect
	golang.org/x/text v0.7.0 // indirect
	google.golang.org/genproto v0.0.0-20200413115906-b5235f65be36 // indirect
)
