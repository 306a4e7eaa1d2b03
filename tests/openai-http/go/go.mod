module sidecar.dev/openaihttp

go 1.19
