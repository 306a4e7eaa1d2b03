# syntax=docker/dockerfile:1
#
# Sidecar daemon image.
#   docker build -t sidecar:dev .
#   docker run --rm -v sidecar-run:/var/run/sidecar -p 8081:8081 -p 8082:8082 sidecar:dev
#
# Two stages: the .NET SDK publishes the daemon as a Native AOT binary (linux-x64), and the
# chiseled runtime-deps image (libc, OpenSSL, CA certificates; no .NET runtime, no shell, no
# package manager, non-root user `app`, uid 1654) runs it. See docs/deployment.md and
# deploy/kubernetes/README.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Native AOT prerequisites on Debian/Ubuntu: clang (the linker driver) and zlib1g-dev.
RUN apt-get update \
    && apt-get install -y --no-install-recommends clang zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .dockerignore keeps the context to what the publish needs (global.json, Directory.*.props,
# protos/, src/); bin/ and obj/ never come in.
COPY . .
# KEEP IN SYNC: this is the same publish command as scripts/publish.sh (which CI runs), with
# /app as the output folder; scripts/check-deploy.sh fails if the two differ.
RUN --mount=type=cache,id=sidecar-nuget,target=/root/.nuget/packages \
    dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o /app -p:PublishAot=true -p:StripSymbols=true -warnaserror
# The socket folder, owned by `app`, so that a fresh volume mounted there is writable by it
# (the runtime image has no shell to create it).
RUN mkdir -p /socket-dir

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build --chown=1654:1654 /socket-dir /var/run/sidecar
# The binary and its defaults only (not Sidecar.dbg, the symbols).
COPY --from=build /app/Sidecar /app/appsettings.json /app/
# Completions are served on this Unix socket only; mount a volume here and share it with the
# agent. ASPNETCORE_HTTP_PORTS is emptied: the base image's default (8080) is not used, the
# daemon binds its own listeners (the socket, HealthPort 8081, HttpPort 8082).
ENV Sidecar__Socket=/var/run/sidecar/sidecar.sock \
    ASPNETCORE_HTTP_PORTS=
VOLUME /var/run/sidecar
# 8081: grpc.health.v1 over cleartext HTTP/2 (Kubernetes gRPC probes).
# 8082: HTTP/1.1 /healthz, /readyz, /metrics (Prometheus).
EXPOSE 8081 8082
# The chiseled image already runs as `app` (uid 1654); say so explicitly.
USER app
ENTRYPOINT ["/app/Sidecar"]
