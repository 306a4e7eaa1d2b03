// Smoke run for validate.mjs --smoke PUBLISH_DIR: starts the published daemon the way the example
// pod would (the image's ENV, then the manifest's env and args, with every volume laid out in a
// temporary folder the way kubelet lays it out), then probes it as kubelet and Prometheus would
// and stops it with SIGTERM.
//
// Everything stays on this machine: the TCP ports bind to 127.0.0.1, the only key reference
// called is an `echo` one added for the run, and DefaultEndpoint points at a loopback port.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, chmodSync, existsSync, lstatSync, rmSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const STARTUP_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;

/** A free TCP port on 127.0.0.1 (the OS picks it; we close and hand it to the daemon). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function httpGet(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: CALL_TIMEOUT_MS }, (res) => {
      let body = "";
      res.on("data", (b) => (body += b));
      res.on("end", () => resolve({ status: res.statusCode, body, type: res.headers["content-type"] ?? "" }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${urlPath}: timed out`)));
    req.on("error", reject);
  });
}

/** Protobuf: a length-delimited field. */
function pbBytes(field, bytes) {
  const len = [];
  let n = bytes.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), bytes]);
}
const pbString = (field, s) => pbBytes(field, Buffer.from(s, "utf8"));
const pbVarint = (field, v) => Buffer.from([(field << 3) | 0, v]); // v < 128

/** One unary gRPC call over HTTP/2 (cleartext, prior knowledge): { status, message, body }. */
function grpcUnary(connect, method, message) {
  return new Promise((resolve, reject) => {
    const session = http2.connect("http://localhost", connect ? { createConnection: connect } : undefined);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`${method}: no answer in ${CALL_TIMEOUT_MS} ms`));
    }, CALL_TIMEOUT_MS);
    session.on("error", (e) => (clearTimeout(timer), reject(e)));
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    const req = session.request({ ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers" });
    const chunks = [];
    let headers = {};
    req.on("response", (h) => (headers = h));
    req.on("data", (b) => chunks.push(b));
    req.on("trailers", (t) => (headers = { ...headers, ...t }));
    req.on("end", () => {
      clearTimeout(timer);
      session.close();
      const data = Buffer.concat(chunks);
      resolve({ status: headers["grpc-status"], message: headers["grpc-message"], body: data.subarray(5) });
    });
    req.on("error", (e) => (clearTimeout(timer), session.destroy(), reject(e)));
    req.end(frame);
  });
}

/** Replaces a mount path prefix by the folder standing in for it. */
function mapPath(value, mounts) {
  if (typeof value !== "string") return value;
  for (const [mountPath, dir] of mounts) {
    if (value === mountPath) return dir;
    if (value.startsWith(`${mountPath}/`)) return dir + value.slice(mountPath.length);
  }
  return value;
}

/** Lays a Secret or ConfigMap volume out like kubelet: ..<timestamp>/, ..data -> it, key -> ..data/key. */
function projectVolume(dir, entries, mode) {
  const stamp = "..2000_01_01_00_00_00.000000000";
  mkdirSync(path.join(dir, stamp), { recursive: true });
  for (const [file, content] of entries) {
    mkdirSync(path.dirname(path.join(dir, stamp, file)), { recursive: true });
    writeFileSync(path.join(dir, stamp, file), content);
    if (mode !== undefined) chmodSync(path.join(dir, stamp, file), mode);
  }
  symlinkSync(stamp, path.join(dir, "..data"));
  for (const [file] of entries) {
    const top = file.split("/")[0];
    if (!existsSync(path.join(dir, top))) symlinkSync(path.join("..data", top), path.join(dir, top));
  }
}

/**
 * ctx: { publishDir, pod, sidecar, docs, imageEnv, checkAsync, expect, equal, note }.
 * Adds its checks through ctx.checkAsync.
 */
export async function smoke(ctx) {
  const { publishDir, pod, sidecar, docs, imageEnv, checkAsync, expect, equal } = ctx;
  const base = mkdtempSync(path.join(os.tmpdir(), "sidecar-smoke-"));
  let child;
  const output = [];
  let exited = null;
  const tail = () => output.join("").split("\n").slice(-25).join("\n");
  try {
    const binary = path.join(publishDir, "Sidecar");
    await checkAsync(`smoke: ${binary} exists (scripts/publish.sh ${publishDir})`, async () => {
      expect(existsSync(binary), `${binary} is missing: run scripts/publish.sh ${publishDir} first`);
    });
    if (!existsSync(binary)) return;

    // Volumes, as kubelet lays them out.
    const mounts = [];
    for (const m of sidecar.volumeMounts ?? []) {
      const volume = (pod.volumes ?? []).find((v) => v.name === m.name) ?? {};
      const dir = path.join(base, "volumes", m.name);
      mkdirSync(dir, { recursive: true });
      if (volume.secret) {
        const s = docs.find((d) => d.obj.kind === "Secret" && d.obj.metadata?.name === volume.secret.secretName)?.obj ?? {};
        const data = { ...Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])), ...(s.stringData ?? {}) };
        const entries = volume.secret.items ? volume.secret.items.map((it) => [it.path, data[it.key]]) : Object.entries(data);
        projectVolume(dir, entries, volume.secret.defaultMode);
      } else if (volume.configMap) {
        const cm = docs.find((d) => d.obj.kind === "ConfigMap" && d.obj.metadata?.name === volume.configMap.name)?.obj ?? {};
        const data = cm.data ?? {};
        const entries = volume.configMap.items ? volume.configMap.items.map((it) => [it.path, data[it.key]]) : Object.entries(data);
        projectVolume(dir, entries, volume.configMap.defaultMode);
      }
      mounts.push([m.mountPath, dir]);
    }
    mounts.sort((a, b) => b[0].length - a[0].length);

    const healthPort = await freePort();
    const httpPort = await freePort();
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(sidecar|aspnetcore_|dotnet_environment)/i.test(k)) env[k] = v;
    for (const [k, v] of Object.entries(imageEnv)) env[k] = mapPath(v, mounts);
    for (const e of sidecar.env ?? []) {
      // The pod IP (the probe and metrics ports bind it) is loopback here.
      if (e.valueFrom?.fieldRef?.fieldPath === "status.podIP") {
        env[e.name] = "127.0.0.1";
        continue;
      }
      expect(e.value !== undefined, `env ${e.name} uses valueFrom, which the smoke run cannot reproduce`);
      env[e.name] = mapPath(e.value, mounts);
    }
    Object.assign(env, {
      Sidecar__HealthPort: String(healthPort),
      Sidecar__HttpPort: String(httpPort),
      Sidecar__HealthAddress: "127.0.0.1",
      Sidecar__DefaultEndpoint: "http://127.0.0.1:9/v1",
      Sidecar__Keys__smoke__Provider: "echo",
    });
    const tmp = mounts.find(([p]) => p === "/tmp");
    if (tmp) env.TMPDIR = tmp[1];
    const args = (sidecar.args ?? []).map((a) => mapPath(a, mounts));
    const socket = env.Sidecar__Socket;
    const grace = ctx.shutdownGraceSeconds;

    // Start, and wait for the host's "Application started" line (or an exit).
    const started = await new Promise((resolve) => {
      child = spawn(binary, args, { cwd: publishDir, env, stdio: ["ignore", "pipe", "pipe"] });
      const timer = setTimeout(() => resolve(false), STARTUP_TIMEOUT_MS);
      const onData = (b) => {
        output.push(b.toString());
        if (/Application started/.test(b.toString())) (clearTimeout(timer), resolve(true));
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", (e) => (output.push(String(e)), clearTimeout(timer), resolve(false)));
      child.on("exit", (code, signal) => {
        exited = { code, signal };
        clearTimeout(timer);
        resolve(false);
      });
    });
    await checkAsync("smoke: the daemon starts with the image ENV, the manifest's env and args, and its mounts", async () => {
      expect(started, `it did not start (${exited ? `exit ${exited.code ?? exited.signal}` : `no "Application started" in ${STARTUP_TIMEOUT_MS} ms`}):\n${tail()}`);
    });
    if (!started) return;

    await checkAsync("smoke: the socket is at Sidecar__Socket (inside the shared volume) with mode 0660", async () => {
      const st = lstatSync(socket, { throwIfNoEntry: false });
      expect(st?.isSocket(), `${socket} is not a socket`);
      equal((st.mode & 0o777).toString(8), "660", "socket mode");
    });

    await checkAsync("smoke: HttpPort answers /healthz and /readyz with 200", async () => {
      for (const p of ["/healthz", "/readyz"]) equal((await httpGet(httpPort, p)).status, 200, `GET ${p}`);
    });

    await checkAsync("smoke: HttpPort serves /metrics in the Prometheus text format (the scrape annotation's target)", async () => {
      const r = await httpGet(httpPort, "/metrics");
      equal(r.status, 200, "GET /metrics");
      expect(/^# (TYPE|HELP) /m.test(r.body), `GET /metrics answered ${r.body.length} bytes with no # TYPE or # HELP line`);
    });

    const probeServices = [
      ["startupProbe", sidecar.startupProbe?.grpc?.service],
      ["readinessProbe", sidecar.readinessProbe?.grpc?.service],
      ["livenessProbe", sidecar.livenessProbe?.grpc?.service],
    ];
    const healthCheck = (service) =>
      grpcUnary(() => net.connect(healthPort, "127.0.0.1"), "/grpc.health.v1.Health/Check", service ? pbString(1, service) : Buffer.alloc(0));
    await checkAsync("smoke: HealthPort answers the probes' grpc.health.v1 checks with SERVING", async () => {
      for (const [probe, service] of probeServices) {
        const r = await healthCheck(service);
        equal(r.status, "0", `${probe} (service ${JSON.stringify(service)}) grpc-status`);
        equal(r.body.toString("hex"), "0801", `${probe} (service ${JSON.stringify(service)}) response (status SERVING)`);
      }
    });

    await checkAsync("smoke: HealthPort refuses Completions (TCP ports never serve them)", async () => {
      const r = await grpcUnary(() => net.connect(healthPort, "127.0.0.1"), "/sidecar.v1.Completions/Complete", Buffer.alloc(0));
      expect(r.status !== "0", "a Completions call over the health port succeeded");
    });

    await checkAsync("smoke: Complete over the socket answers (echo key reference)", async () => {
      const text = "hello from check-deploy";
      const request = Buffer.concat([
        pbString(1, "smoke"),
        pbString(2, "smoke-model"),
        pbBytes(3, Buffer.concat([pbVarint(1, 2 /* ROLE_USER */), pbString(2, text)])),
      ]);
      const r = await grpcUnary(() => net.connect(socket), "/sidecar.v1.Completions/Complete", request);
      equal(r.status, "0", `grpc-status (${r.message ?? ""})`);
      expect(r.body.includes(Buffer.from(text)), "the echo answer does not carry the prompt back");
    });

    await checkAsync(`smoke: SIGTERM: exit code 0 within ShutdownGrace (${grace} s), socket file removed`, async () => {
      const t0 = Date.now();
      const exit = exited ? Promise.resolve(exited) : new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
      child.kill("SIGTERM");
      const limit = (grace + 5) * 1000;
      const result = await Promise.race([exit, new Promise((resolve) => setTimeout(() => resolve(null), limit))]);
      expect(result, `still running ${limit} ms after SIGTERM`);
      equal(result.code, 0, `exit code\n${tail()}`);
      expect((Date.now() - t0) / 1000 < grace, `took ${(Date.now() - t0) / 1000} s with no call in flight`);
      expect(!existsSync(socket), `${socket} is still there`);
    });
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(base, { recursive: true, force: true });
  }
}
