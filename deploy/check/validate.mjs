// Validates the deployment artefacts: deploy/kubernetes/*.yaml, the Dockerfile, .dockerignore
// and scripts/publish.sh. Run through scripts/check-deploy.sh (which installs the packages).
//
//   node deploy/check/validate.mjs [-q] [--root DIR] [--no-self-test]
//     -q              print failures, notes and the summary only
//     --root DIR      check the files under DIR instead of this repository
//     --no-self-test  skip step 5
//     --no-lint       skip dockerfilelint
//     --smoke DIR     also start the daemon published in DIR (scripts/publish.sh DIR) as the
//                     example pod would, probe it and stop it (smoke.mjs)
//
// 1. Every YAML document parses (YAML 1.1, as Kubernetes reads it; duplicate keys fail), is
//    valid against the kubernetes-models JSON schema, and has no field the API does not know
//    (kubectl's strict field validation would refuse it; the schema check alone would not).
// 2. The example Deployment has what deploy/kubernetes/README.md promises: a native sidecar,
//    the socket volume in both containers, gRPC probes, scrape annotations, resources,
//    securityContext, keys and config mounts, a shutdown grace inside the termination grace.
// 3. Every configuration name (Sidecar__... variables, the ConfigMap's JSON keys, the
//    Dockerfile's ENV) is a name the daemon reads: resolved through the options classes in
//    src/Sidecar/Configuration/*.cs, with values of the right type.
// 4. The Dockerfile: stages, base images, the same publish command as scripts/publish.sh,
//    entrypoint, socket env/volume, ports, user; .dockerignore keeps what the build needs;
//    dockerfilelint when it is installed.
// 5. Self-test: each of a list of known mistakes, applied to a copy of the files, must make
//    this script fail with the expected message (a check that cannot fail checks nothing).
// 6. (--smoke DIR) The published daemon, started with the image's ENV and the manifest's env,
//    args and mounts, answers the probes, /metrics and a call, and stops cleanly on SIGTERM.
// Ends with one line: `deploy: N passed, M failed`; exits 1 on any failure.

import { readFileSync, readdirSync, existsSync, statSync, mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawn, spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { smoke } from "./smoke.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const argValue = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const root = path.resolve(argValue("--root") ?? path.join(here, "../.."));
const rel = (p) => path.relative(root, p) || ".";
const quiet = argv.includes("-q");
const selfTest = !argv.includes("--no-self-test");
const runLint = !argv.includes("--no-lint");
const smokeDir = argValue("--smoke");

const SOCKET_DIR = "/var/run/sidecar";
const SOCKET_PATH = `${SOCKET_DIR}/sidecar.sock`;
const HEALTH_PORT = 8081;
const HTTP_PORT = 8082;
const APP_UID = 1654;
const KEY_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// ---------------------------------------------------------------------------------------------
// Reporting

let passed = 0;
let failed = 0;
const notes = [];

class CheckError extends Error {}
function expect(cond, message) {
  if (!cond) throw new CheckError(message);
}
function equal(actual, expected, what) {
  expect(
    JSON.stringify(actual) === JSON.stringify(expected),
    `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
  );
}
function check(name, fn) {
  try {
    fn();
    passed++;
    if (!quiet) console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    const msg = e instanceof CheckError ? e.message : e.stack ?? String(e);
    console.log(`FAIL ${name}\n     ${msg.replaceAll("\n", "\n     ")}`);
  }
}
async function checkAsync(name, fn) {
  try {
    await fn();
    passed++;
    if (!quiet) console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    const msg = e instanceof CheckError ? e.message : e.stack ?? String(e);
    console.log(`FAIL ${name}\n     ${msg.replaceAll("\n", "\n     ")}`);
  }
}
function note(msg) {
  notes.push(msg);
  console.log(`note ${msg}`);
}

// ---------------------------------------------------------------------------------------------
// Loading the manifests

const manifestsDir = path.join(root, "deploy/kubernetes");
const yamlFiles = readdirSync(manifestsDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => path.join(manifestsDir, f));

/** Every non-empty document: { file, index, obj }. */
const docs = [];
for (const file of yamlFiles) {
  check(`${rel(file)} parses as YAML`, () => {
    // YAML 1.1 like Kubernetes (sigs.k8s.io/yaml): 0440 is octal, yes/no are booleans.
    const parsed = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
    const errors = parsed.flatMap((d) => d.errors ?? []);
    expect(errors.length === 0, errors.map((e) => e.message).join("\n"));
    parsed.forEach((d, index) => {
      const obj = d.toJS();
      if (obj != null) docs.push({ file, index, obj });
    });
  });
}
check("deploy/kubernetes has manifests", () => expect(docs.length > 0, "no YAML documents found"));

const byKind = (kind) => docs.filter((d) => d.obj.kind === kind);
const nameOf = (d) => `${rel(d.file)}#${d.index} ${d.obj.kind}/${d.obj.metadata?.name}`;

// ---------------------------------------------------------------------------------------------
// 1. Schema validation with kubernetes-models, plus unknown fields from its type declarations

const modelsRoot = path.join(here, "node_modules/kubernetes-models");

async function loadModel(apiVersion, kind) {
  // One kind's module ("kubernetes-models/apps/v1/Deployment"), not its whole group: faster.
  if (!/^[\w.]+(\/\w+)?$/.test(apiVersion) || !/^\w+$/.test(kind)) return undefined;
  const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return mod[kind];
}

/** Parsed .d.ts files: { imports: name -> file, aliases: alias -> local, interfaces: name -> {fields, typeMeta} }. */
const dtsCache = new Map();
function parseDts(file) {
  if (dtsCache.has(file)) return dtsCache.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{([^}]*)\} from "([^"]+)";/gm)) {
    let target;
    if (m[2].startsWith(".")) target = path.resolve(path.dirname(file), m[2].replace(/\.js$/, ".d.ts"));
    else if (m[2].startsWith("@kubernetes-models/")) target = path.join(here, "node_modules", `${m[2]}.d.ts`);
    else continue;
    for (const n of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(n, target);
  }
  const aliases = new Map();
  for (const m of text.matchAll(/^export type \{([^}]*)\}/gm)) {
    for (const part of m[1].split(",")) {
      const [local, alias] = part.split(" as ").map((s) => s.trim());
      if (alias) aliases.set(alias, local);
    }
  }
  const interfaces = new Map();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = /^export interface (\w+)(?: extends ([\w, ]+))? \{$/.exec(lines[i]);
    if (!head) continue;
    const fields = new Map();
    for (i++; i < lines.length && lines[i] !== "}"; i++) {
      const f = /^ {4}"([^"]+)"\??: (.*)$/.exec(lines[i]);
      if (!f) continue;
      let type = f[2];
      if (type.endsWith("{")) {
        // Inline object type (a map): read to its closing "    };".
        for (i++; i < lines.length && lines[i] !== "    };"; i++) type += lines[i].trim();
        type += "}";
      }
      fields.set(f[1], type.replace(/;$/, ""));
    }
    interfaces.set(head[1], { fields, typeMeta: /\bTypeMeta\b/.test(head[2] ?? "") });
  }
  const parsed = { file, imports, aliases, interfaces };
  dtsCache.set(file, parsed);
  return parsed;
}

/** Finds the interface a type name refers to, from the point of view of `dts`. */
function resolveInterface(dts, name) {
  if (dts.interfaces.has(name)) return { dts, iface: dts.interfaces.get(name) };
  if (dts.aliases.has(name)) return resolveInterface(dts, dts.aliases.get(name));
  const target = dts.imports.get(name);
  if (target && existsSync(target)) {
    const other = parseDts(target);
    if (other.aliases.has(name) || other.interfaces.has(name)) return resolveInterface(other, name);
  }
  return null; // a scalar alias (Quantity, IntOrString, Time, ...) or something we do not descend into
}

/** Reports every key of obj that the API type does not declare. */
function unknownFields(obj, dts, typeText, at, out) {
  typeText = typeText.trim();
  if (obj == null) return;
  let m;
  if ((m = /^Array<(.*)>$/.exec(typeText))) {
    if (Array.isArray(obj)) obj.forEach((v, i) => unknownFields(v, dts, m[1], `${at}[${i}]`, out));
    return;
  }
  if ((m = /^\{\[key: string\]: (.*)\}$/.exec(typeText))) {
    if (typeof obj === "object") for (const [k, v] of Object.entries(obj)) unknownFields(v, dts, m[1], `${at}.${k}`, out);
    return;
  }
  if (!/^I\w+$/.test(typeText) || typeof obj !== "object" || Array.isArray(obj)) return;
  const found = resolveInterface(dts, typeText);
  if (!found) return;
  for (const [k, v] of Object.entries(obj)) {
    if (found.iface.fields.has(k)) unknownFields(v, found.dts, found.iface.fields.get(k), `${at}.${k}`, out);
    else out.push(`${at}.${k}`);
  }
}

function topLevelUnknownFields(obj) {
  const group = obj.apiVersion; // "apps/v1" | "v1"
  const file = path.join(modelsRoot, group, `${obj.kind}.d.ts`);
  if (!existsSync(file)) return [`no type declarations for ${group} ${obj.kind}`];
  const dts = parseDts(file);
  const iface = dts.interfaces.get(`I${obj.kind}`);
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (iface.fields.has(k)) unknownFields(v, dts, iface.fields.get(k), k, out);
    else if (!(iface.typeMeta && (k === "apiVersion" || k === "kind"))) out.push(k);
  }
  return out;
}

for (const d of docs) {
  const Model = await loadModel(d.obj.apiVersion ?? "", d.obj.kind ?? "").catch(() => undefined);
  check(`${nameOf(d)} is valid against the Kubernetes schema`, () => {
    expect(Model, `kubernetes-models has no model for apiVersion ${d.obj.apiVersion} kind ${d.obj.kind}`);
    try {
      new Model(d.obj).validate();
    } catch (e) {
      const details = (e.errors ?? []).map((x) => `${x.instancePath} ${x.message}`).join("\n");
      throw new CheckError(details || e.message);
    }
  });
  check(`${nameOf(d)} has no unknown fields`, () => {
    const unknown = topLevelUnknownFields(d.obj);
    expect(unknown.length === 0, `fields the API does not know: ${unknown.join(", ")}`);
  });
  check(`${nameOf(d)} is namespace-less and named`, () => {
    expect(d.obj.metadata?.name, "metadata.name is missing");
    expect(d.obj.metadata?.namespace === undefined, "metadata.namespace is set: the examples apply into any namespace (-n)");
  });
}

// ---------------------------------------------------------------------------------------------
// 2. The example Deployment

const deployments = byKind("Deployment");
const configMaps = byKind("ConfigMap");
const secrets = byKind("Secret");

check("one Deployment, one ConfigMap and one Secret", () => {
  equal(deployments.length, 1, "Deployments");
  equal(configMaps.length, 1, "ConfigMaps");
  equal(secrets.length, 1, "Secrets");
});

const dep = deployments[0]?.obj;
const pod = dep?.spec?.template?.spec ?? {};
const sidecars = (pod.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
const sidecar = sidecars[0] ?? {};
const agents = pod.containers ?? [];
const envOf = (c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
const mountAt = (c, p) => (c.volumeMounts ?? []).find((m) => m.mountPath === p);
const volume = (name) => (pod.volumes ?? []).find((v) => v.name === name);
const effectiveSc = (c, key) => c.securityContext?.[key] ?? pod.securityContext?.[key];
const sidecarEnv = envOf(sidecar);

check("sidecar is a native sidecar (initContainers entry with restartPolicy: Always)", () => {
  equal(sidecars.length, 1, "init containers with restartPolicy Always");
  equal(sidecar.name, "sidecar", "its name");
  expect(!agents.some((c) => c.name === "sidecar"), "a regular container is also named sidecar");
  expect(agents.length >= 1, "no agent container");
  expect(sidecar.command === undefined, "command overrides the image ENTRYPOINT (/app/Sidecar): use args");
});

check("sidecar probes are gRPC health checks on port 8081", () => {
  equal(sidecar.startupProbe?.grpc, { port: HEALTH_PORT, service: "readiness" }, "startupProbe.grpc");
  equal(sidecar.readinessProbe?.grpc, { port: HEALTH_PORT, service: "readiness" }, "readinessProbe.grpc");
  equal(sidecar.livenessProbe?.grpc, { port: HEALTH_PORT, service: "liveness" }, "livenessProbe.grpc");
  const ports = (sidecar.ports ?? []).map((p) => p.containerPort);
  expect(ports.includes(HEALTH_PORT), `containerPort ${HEALTH_PORT} is not declared`);
  if (sidecarEnv.Sidecar__HealthPort !== undefined) equal(Number(sidecarEnv.Sidecar__HealthPort), HEALTH_PORT, "Sidecar__HealthPort");
});

check("Prometheus scrape annotations point at the sidecar's HTTP port", () => {
  const a = dep?.spec?.template?.metadata?.annotations ?? {};
  equal(a["prometheus.io/scrape"], "true", "prometheus.io/scrape");
  equal(a["prometheus.io/port"], String(HTTP_PORT), "prometheus.io/port");
  equal(a["prometheus.io/path"], "/metrics", "prometheus.io/path");
  expect((sidecar.ports ?? []).some((p) => p.containerPort === HTTP_PORT), `containerPort ${HTTP_PORT} is not declared`);
  if (sidecarEnv.Sidecar__HttpPort !== undefined) equal(Number(sidecarEnv.Sidecar__HttpPort), HTTP_PORT, "Sidecar__HttpPort");
});

check("socket: an emptyDir mounted at /var/run/sidecar in the sidecar and every agent container", () => {
  const m = mountAt(sidecar, SOCKET_DIR);
  expect(m, `the sidecar mounts nothing at ${SOCKET_DIR}`);
  expect(!m.readOnly, "the sidecar's socket mount is read-only: it creates the socket there");
  expect(volume(m.name)?.emptyDir !== undefined, `volume ${m.name} is not an emptyDir`);
  for (const c of agents) {
    const am = mountAt(c, SOCKET_DIR);
    expect(am, `container ${c.name} does not mount ${SOCKET_DIR}`);
    equal(am.name, m.name, `container ${c.name}'s socket volume`);
    expect(am.subPath === undefined, `container ${c.name} uses subPath for the socket volume`);
    // An emptyDir is mode 0777: the daemon starts there only with Sidecar__AllowWritableSocketFolder,
    // which is sound only while no other container can write the folder.
    equal(am.readOnly, true, `container ${c.name}'s socket mount readOnly (others must not be able to replace the socket)`);
  }
  equal(sidecarEnv.Sidecar__AllowWritableSocketFolder, "true", "Sidecar__AllowWritableSocketFolder (an emptyDir is mode 0777)");
});

check("socket path: Sidecar__Socket in the sidecar and SIDECAR_SOCKET in the agent agree", () => {
  const socket = sidecarEnv.Sidecar__Socket ?? SOCKET_PATH;
  equal(socket, SOCKET_PATH, "the sidecar's socket path");
  equal(path.posix.dirname(socket), SOCKET_DIR, "the socket's folder");
  for (const c of agents) equal(envOf(c).SIDECAR_SOCKET, socket, `container ${c.name}'s SIDECAR_SOCKET`);
});

check("keys: Secret sidecar-keys mounted read-only at /etc/sidecar/keys = Sidecar__KeysDirectory", () => {
  const m = mountAt(sidecar, "/etc/sidecar/keys");
  expect(m, "nothing is mounted at /etc/sidecar/keys");
  equal(m.readOnly, true, "readOnly");
  expect(m.subPath === undefined, "a subPath mount never sees Secret updates (no rotation)");
  const v = volume(m.name);
  equal(v?.secret?.secretName, "sidecar-keys", `volume ${m.name}'s secretName`);
  equal(sidecarEnv.Sidecar__KeysDirectory, "/etc/sidecar/keys", "Sidecar__KeysDirectory");
  const mode = v.secret.defaultMode;
  if (mode !== undefined) expect(mode <= 0o777 && (mode & 0o007) === 0, `defaultMode ${mode.toString(8)} is world-accessible or not a file mode (write it as octal 0440)`);
  for (const c of agents) expect(!(c.volumeMounts ?? []).some((x) => x.name === m.name), `container ${c.name} mounts the keys: agents never hold secrets`);
});

check("keys Secret: sidecar-keys with key_ref-shaped keys", () => {
  const s = secrets.find((d) => d.obj.metadata?.name === "sidecar-keys")?.obj;
  expect(s, "no Secret named sidecar-keys");
  const keys = Object.keys({ ...(s.stringData ?? {}), ...(s.data ?? {}) });
  expect(keys.includes("team-a"), "no team-a entry");
  for (const k of keys) expect(KEY_REF.test(k), `${k} is not a valid key_ref`);
});

/** The ConfigMap JSON the sidecar is started with: { file, json }. */
let configJson = null;
check("config: ConfigMap sidecar-config mounted and passed as --config /etc/sidecar/config/sidecar.json", () => {
  const args = sidecar.args ?? [];
  const i = args.indexOf("--config");
  expect(i >= 0 && i + 1 < args.length, `args ${JSON.stringify(args)} have no --config FILE`);
  const file = args[i + 1];
  equal(file, "/etc/sidecar/config/sidecar.json", "--config");
  const m = (sidecar.volumeMounts ?? []).find((x) => file.startsWith(`${x.mountPath}/`));
  expect(m, `no volume mounted above ${file}`);
  equal(m.readOnly, true, "the config mount's readOnly");
  const v = volume(m.name);
  equal(v?.configMap?.name, "sidecar-config", `volume ${m.name}'s configMap`);
  const inside = file.slice(m.mountPath.length + 1);
  const key = v.configMap.items ? v.configMap.items.find((it) => it.path === inside)?.key : inside;
  expect(key, `configMap items do not project ${inside}`);
  const cm = configMaps.find((d) => d.obj.metadata?.name === "sidecar-config")?.obj;
  expect(cm?.data?.[key] !== undefined, `ConfigMap sidecar-config has no data key ${key}`);
  try {
    configJson = { file: `ConfigMap sidecar-config ${key}`, json: JSON.parse(cm.data[key]) };
  } catch (e) {
    throw new CheckError(`ConfigMap sidecar-config ${key} is not JSON: ${e.message}`);
  }
});

check("resources: requests cpu 50m / memory 128Mi, limits memory 320Mi on the sidecar (docs/benchmarks.md)", () => {
  equal(sidecar.resources?.requests, { cpu: "50m", memory: "128Mi" }, "requests");
  equal(sidecar.resources?.limits, { memory: "320Mi" }, "limits");
});

check("securityContext: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
  for (const c of [sidecar, ...agents]) {
    equal(effectiveSc(c, "runAsNonRoot"), true, `${c.name} runAsNonRoot`);
    equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name} readOnlyRootFilesystem`);
    equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name} allowPrivilegeEscalation`);
    expect(c.securityContext?.capabilities?.drop?.includes("ALL"), `${c.name} does not drop ALL capabilities`);
    expect(!(c.securityContext?.capabilities?.add?.length), `${c.name} adds capabilities`);
    equal(effectiveSc(c, "seccompProfile"), { type: "RuntimeDefault" }, `${c.name} seccompProfile`);
    expect(c.securityContext?.privileged !== true, `${c.name} is privileged`);
    const uid = effectiveSc(c, "runAsUser");
    expect(Number.isInteger(uid) && uid > 0, `${c.name} has no numeric non-root runAsUser (the image's USER is a name, which kubelet cannot check against runAsNonRoot)`);
  }
  equal(effectiveSc(sidecar, "runAsUser"), APP_UID, "sidecar runAsUser (the image's `app`)");
});

check("pod fsGroup shares the socket (mode 0660) between the containers", () => {
  expect(Number.isInteger(pod.securityContext?.fsGroup), "pod securityContext.fsGroup is not set");
  const sidecarGid = effectiveSc(sidecar, "runAsGroup");
  if (sidecarGid !== undefined) equal(sidecarGid, pod.securityContext.fsGroup, "the sidecar's runAsGroup = fsGroup (the socket's group)");
});

check("shutdown: Sidecar__ShutdownGrace 25 s fits in terminationGracePeriodSeconds 30", () => {
  equal(pod.terminationGracePeriodSeconds, 30, "terminationGracePeriodSeconds");
  const grace = parseTimeSpanSeconds(sidecarEnv.Sidecar__ShutdownGrace ?? "");
  expect(!Number.isNaN(grace), `Sidecar__ShutdownGrace ${JSON.stringify(sidecarEnv.Sidecar__ShutdownGrace)} is not set as hh:mm:ss`);
  equal(grace, 25, "Sidecar__ShutdownGrace in seconds");
  expect(grace < pod.terminationGracePeriodSeconds, "ShutdownGrace must end before kubelet's SIGKILL");
});

check("a writable /tmp for the sidecar (read-only root filesystem)", () => {
  const m = mountAt(sidecar, "/tmp");
  expect(m && volume(m.name)?.emptyDir !== undefined, "no emptyDir at /tmp");
});

// ---------------------------------------------------------------------------------------------
// 3. Configuration names against the daemon's options classes

/** The names docs/design.md and README.md document, as C#: used only while src/Sidecar/Configuration is missing. */
const DOCUMENTED_OPTIONS = `
public sealed class SidecarOptions {
  public const string SectionName = "Sidecar";
  public string Socket { get; set; }
  public int HealthPort { get; set; } = 8081;
  public int HttpPort { get; set; } = 8082;
  public Dictionary<string, KeyOptions> Keys { get; set; }
  public string? KeysDirectory { get; set; }
  public Uri DefaultEndpoint { get; set; }
  public ClientCacheOptions ClientCache { get; set; }
  public TimeSpan KeyRefreshInterval { get; set; }
  public LimitsOptions Limits { get; set; }
  public TimeSpan ShutdownGrace { get; set; }
}
public sealed class KeyOptions {
  public string ApiKey { get; set; }
  public Uri? Endpoint { get; set; }
  public string Provider { get; set; }
  public List<string> Models { get; set; }
}
public sealed class ClientCacheOptions {
  public TimeSpan SlidingExpiration { get; set; }
  public TimeSpan AbsoluteExpiration { get; set; }
  public TimeSpan ScanFrequency { get; set; }
  public int MaxEntries { get; set; }
}
public sealed class LimitsOptions {
  public int MaxMessages { get; set; }
  public long MaxRequestBytes { get; set; }
}`;

/** Removes comments and blanks string contents (keeping their length and quotes). */
function blankCs(text) {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const two = text.slice(i, i + 2);
    if (two === "//") {
      while (i < text.length && text[i] !== "\n") (out += " "), i++;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3);
      const stop = end < 0 ? text.length : end + 3;
      out += '"' + text.slice(i + 1, stop - 1).replace(/[^\n]/g, " ") + '"';
      i = stop;
    } else if (text[i] === '"' || text[i] === "'") {
      const q = text[i];
      const verbatim = q === '"' && /@\$?$|\$@$/.test(text.slice(Math.max(0, i - 2), i));
      let j = i + 1;
      for (; j < text.length; j++) {
        if (verbatim && text[j] === '"' && text[j + 1] === '"') { j++; continue; }
        if (!verbatim && text[j] === "\\") { j++; continue; }
        if (text[j] === q) break;
      }
      out += q + " ".repeat(Math.max(0, j - i - 1)) + q;
      i = j + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

/** Index of the brace matching the one at `open`. */
function matchBrace(s, open) {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return i;
  }
  return s.length;
}

/** Splits at commas outside <...>, (...) and [...]. */
function splitTop(s) {
  const parts = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if ("<([".includes(ch)) depth++;
    if (">)]".includes(ch)) depth--;
    if (ch === "," && depth === 0) (parts.push(cur), (cur = ""));
    else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  return parts.map((p) => p.trim());
}

/**
 * Reads options types from C# source: { types: name -> { props: lowerName -> {name, type, init} },
 * enums: name -> Set(lower members), sections: "Sidecar[:...]" -> type name }.
 */
function parseOptions(sources) {
  const types = new Map();
  const enums = new Map();
  const sections = new Map();
  for (const { text: raw } of sources) {
    const text = blankCs(raw);
    for (const m of text.matchAll(/\benum\s+(\w+)[^{;]*\{/g)) {
      const body = text.slice(m.index + m[0].length, matchBrace(text, m.index + m[0].length - 1));
      enums.set(m[1], new Set(body.split(",").map((s) => s.replace(/=.*$/s, "").trim().toLowerCase()).filter(Boolean)));
    }
    for (const m of text.matchAll(/\b(?:class|record|struct)\s+(\w+)/g)) {
      // After the name: optional <generics>, optional (positional parameters), then the body
      // (or `;` for a record without one).
      let i = m.index + m[0].length;
      const skipSpace = () => { while (/\s/.test(text[i] ?? "")) i++; };
      skipSpace();
      if (text[i] === "<") i = text.indexOf(">", i) + 1;
      skipSpace();
      let params = null;
      if (text[i] === "(") {
        let depth = 0;
        const start = i;
        for (; i < text.length; i++) {
          if (text[i] === "(") depth++;
          else if (text[i] === ")" && --depth === 0) break;
        }
        params = { start: start + 1, end: i };
        i++;
      }
      while (i < text.length && text[i] !== "{" && text[i] !== ";") i++;
      const open = i;
      const close = text[i] === "{" ? matchBrace(text, open) : open;
      // Depth-0 view of the body: nested blocks blanked so only this type's members remain
      // (accessor braces `{ get; set; }` and their words are kept).
      let body = "";
      let depth = 0;
      for (let k = open + 1; k < close; k++) {
        const ch = text[k];
        if (ch === "{") depth++;
        body += depth === 0 || (depth === 1 && (ch === "{" || /[\s\w;=]/.test(ch))) ? ch : " ";
        if (ch === "}") depth--;
      }
      const props = types.get(m[1])?.props ?? new Map();
      const add = (name, type, init) => props.set(name.toLowerCase(), { name, type: normType(type), init: init?.trim() });
      // Positional record parameters are bindable properties too.
      if (params) {
        let at = params.start;
        for (const p of splitTop(text.slice(params.start, params.end))) {
          const from = text.indexOf(p, at);
          at = from + p.length;
          const pm = /^((?:\[[^\]]*\]\s*)*)([\w.<>,\[\]?\s]+?)\s+(\w+)\s*(?:=\s*(.+))?$/s.exec(p);
          if (!pm) continue;
          const rawParam = raw.slice(from, from + p.length);
          const keyName = /ConfigurationKeyName\s*\(\s*"([^"]+)"/.exec(rawParam.slice(0, pm[1].length))?.[1];
          const init = pm[4] === undefined ? undefined : rawParam.slice(p.length - pm[4].length);
          add(keyName ?? pm[3], pm[2], init);
        }
      }
      const propRe = /((?:\[[^\]]*\]\s*)*)public\s+((?:(?:required|virtual|override|new|static|sealed)\s+)*)([\w.]+(?:\s*<[^;{}()=]*>)?(?:\[\])?\??)\s+(\w+)\s*\{\s*(?:get|init|set)\b/g;
      for (const pm of body.matchAll(propRe)) {
        if (/\bstatic\b/.test(pm[2])) continue;
        // The original text (not blanked) for [ConfigurationKeyName("...")].
        const attrs = raw.slice(open + 1 + pm.index, open + 1 + pm.index + pm[1].length);
        const keyName = /ConfigurationKeyName\s*\(\s*"([^"]+)"/.exec(attrs)?.[1];
        const accessorsEnd = matchBrace(text, open + 1 + pm.index + pm[0].lastIndexOf("{"));
        // Offsets match: blankCs keeps every character's position, so defaults come from `raw`.
        const init = /^\s*=\s*([^;]+);/.exec(raw.slice(accessorsEnd + 1, accessorsEnd + 300))?.[1];
        add(keyName ?? pm[4], pm[3], init);
      }
      for (const sm of raw.slice(open, close).matchAll(/\bSectionName\s*=\s*"([^"]*)"/g)) sections.set(sm[1].toLowerCase(), m[1]);
      types.set(m[1], { name: m[1], props });
    }
  }
  if (!sections.has("sidecar") && types.has("SidecarOptions")) sections.set("sidecar", "SidecarOptions");
  return { types, enums, sections };
}

function normType(t) {
  return t.replace(/\s+/g, "").replace(/\?$/, "").replace(/^Nullable<(.*)>$/, "$1").replace(/(^|<|,)(?:global::)?(?:[A-Za-z_]\w*\.)+(?=\w)/g, "$1");
}

/** Describes a C# type for binding: {kind: map|list|object|scalar|unknown, ...}. */
function describeType(model, t) {
  t = normType(t);
  let m;
  if ((m = /^(?:Dictionary|IDictionary|IReadOnlyDictionary|ConcurrentDictionary|SortedDictionary|ImmutableDictionary)<(.*)>$/.exec(t)))
    return { kind: "map", value: splitTop(m[1])[1] };
  if ((m = /^(?:List|IList|IReadOnlyList|ICollection|IReadOnlyCollection|IEnumerable|ISet|HashSet|IReadOnlySet|ImmutableArray|ImmutableList)<(.*)>$/.exec(t)))
    return { kind: "list", item: m[1] };
  if ((m = /^(.*)\[\]$/.exec(t))) return { kind: "list", item: m[1] };
  if (model.types.has(t)) return { kind: "object", type: model.types.get(t) };
  if (model.enums.has(t)) return { kind: "scalar", scalar: "enum", members: model.enums.get(t), name: t };
  if (/^(string|int|long|short|uint|ulong|ushort|byte|double|float|decimal|bool|TimeSpan|Uri|DateTime|DateTimeOffset|Guid|char|object)$/.test(t))
    return { kind: "scalar", scalar: t };
  return { kind: "unknown", name: t };
}

function parseTimeSpanSeconds(s) {
  const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(String(s).trim());
  if (!m) return NaN;
  const secs = (+(m[2] ?? 0)) * 86400 + +m[3] * 3600 + +m[4] * 60 + +(m[5] ?? 0) + +`0.${m[6] ?? 0}`;
  return m[1] ? -secs : secs;
}

/** Why `value` does not fit the scalar type, or null. */
function scalarProblem(desc, value) {
  const v = String(value).trim();
  switch (desc.scalar) {
    case "int": case "long": case "short": case "uint": case "ulong": case "ushort": case "byte":
      return /^-?\d+$/.test(v) ? null : `"${v}" is not an integer`;
    case "double": case "float": case "decimal":
      return v !== "" && !Number.isNaN(Number(v)) ? null : `"${v}" is not a number`;
    case "bool":
      return /^(true|false)$/i.test(v) ? null : `"${v}" is not true/false`;
    case "TimeSpan":
      if (/^\d+$/.test(v)) return `"${v}" is ${v} DAYS as a TimeSpan: write hh:mm:ss (e.g. 00:00:${v.padStart(2, "0")})`;
      return Number.isNaN(parseTimeSpanSeconds(v)) ? `"${v}" is not a TimeSpan ([d.]hh:mm:ss)` : null;
    case "Uri":
      return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) || v.startsWith("/") ? null : `"${v}" is not a URI`;
    case "enum":
      return desc.members.has(v.toLowerCase()) || /^\d+$/.test(v) ? null : `"${v}" is not one of ${desc.name}: ${[...desc.members].join(", ")}`;
    default:
      return null;
  }
}

/**
 * Resolves a configuration path (segments after nothing, e.g. ["Sidecar","Keys","team-a","ApiKey"])
 * through the options types. Returns null when it resolves (and the value fits), else why not.
 */
function resolveConfigPath(model, segments, value) {
  const full = segments.join(":").toLowerCase();
  // The longest bound section that prefixes the path.
  let start = null;
  for (const [section, typeName] of model.sections) {
    if ((full === section || full.startsWith(`${section}:`)) && (!start || section.length > start.section.length))
      start = { section, typeName };
  }
  if (!start) return `no options class is bound to a section above ${segments.join(":")}`;
  let desc = { kind: "object", type: model.types.get(start.typeName) };
  const rest = segments.slice(start.section.split(":").length);
  let at = segments.slice(0, segments.length - rest.length).join(":");
  for (const seg of rest) {
    if (desc.kind === "map") {
      if (!KEY_REF.test(seg)) return `${at}:${seg}: "${seg}" is not a valid key (${KEY_REF})`;
      desc = describeType(model, desc.value);
    } else if (desc.kind === "list") {
      if (!/^\d+$/.test(seg)) return `${at}:${seg}: ${at} is a list, "${seg}" is not an index`;
      desc = describeType(model, desc.item);
    } else if (desc.kind === "object") {
      const prop = desc.type.props.get(seg.toLowerCase());
      if (!prop) {
        const known = [...desc.type.props.values()].map((p) => p.name).join(", ");
        return `${at}:${seg}: ${desc.type.name} has no property ${seg} (it has: ${known || "none"})`;
      }
      desc = describeType(model, prop.type);
    } else if (desc.kind === "scalar") {
      return `${at}:${seg}: ${at} is a ${desc.scalar}, it has no sub-keys`;
    } else {
      // A type declared outside src/Sidecar/Configuration: at least the name must exist there.
      const anywhere = [...model.types.values()].some((t) => t.props.has(seg.toLowerCase()));
      if (!anywhere) return `${at}:${seg}: no options class has a property ${seg} (type ${desc.name} not found)`;
    }
    at = `${at}:${seg}`;
  }
  if (desc.kind === "object" || desc.kind === "map" || desc.kind === "list")
    return value === undefined ? null : `${at} is a section (${desc.kind}), not a value`;
  if (desc.kind === "scalar" && value !== undefined) {
    const problem = scalarProblem(desc, value);
    if (problem) return `${at}: ${problem}`;
  }
  return null;
}

/** Flattens JSON into configuration paths: [["Sidecar","Limits","MaxMessages"], 1000]. */
function flattenJson(obj, prefix = [], out = []) {
  if (obj !== null && typeof obj === "object") {
    const entries = Array.isArray(obj) ? obj.map((v, i) => [String(i), v]) : Object.entries(obj);
    if (entries.length === 0) out.push([prefix, undefined]);
    for (const [k, v] of entries) flattenJson(v, [...prefix, k], out);
  } else out.push([prefix, obj]);
  return out;
}

const configDir = path.join(root, "src/Sidecar/Configuration");
const csFiles = [];
(function walk(dir) {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith(".cs")) csFiles.push(p);
  }
})(configDir);

let optionsModel;
let optionsFrom;
if (csFiles.length > 0) {
  optionsModel = parseOptions(csFiles.map((f) => ({ text: readFileSync(f, "utf8") })));
  optionsFrom = `${rel(configDir)} (${csFiles.length} files)`;
} else {
  optionsModel = parseOptions([{ text: DOCUMENTED_OPTIONS }]);
  optionsFrom = "the names documented in docs/design.md";
  note(`${rel(configDir)} does not exist yet: configuration names are checked against ${optionsFrom}`);
}

check(`options classes found in ${optionsFrom}`, () => {
  expect(optionsModel.sections.has("sidecar"), `no options class bound to "Sidecar" (SectionName = "Sidecar" or a class SidecarOptions); types seen: ${[...optionsModel.types.keys()].join(", ") || "none"}`);
});

/** Every configuration name we set: { where, segments, value }. */
const configNames = [];
for (const c of [sidecar, ...agents]) {
  for (const e of c.env ?? []) {
    if (/^sidecar__/i.test(e.name)) configNames.push({ where: `${rel(deployments[0].file)} ${c.name} env`, segments: e.name.split("__"), value: e.value });
  }
}
if (configJson) {
  for (const [segments, value] of flattenJson(configJson.json)) {
    if (segments[0]?.toLowerCase() === "sidecar") configNames.push({ where: configJson.file, segments, value });
  }
}

// 4 (first part). The Dockerfile, parsed once.
const dockerfilePath = path.join(root, "Dockerfile");
const dockerfile = existsSync(dockerfilePath) ? parseDockerfile(readFileSync(dockerfilePath, "utf8")) : null;

function parseDockerfile(text) {
  const instructions = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const lineNo = i + 1;
    let line = lines[i];
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, " ");
      i++;
      if (!/^\s*#/.test(lines[i])) line += lines[i];
    }
    const m = /^\s*(\w+)\s+(.*)$/s.exec(line.trim());
    if (m) instructions.push({ instr: m[1].toUpperCase(), args: m[2].trim(), line: lineNo });
  }
  const stages = [];
  for (const ins of instructions) {
    if (ins.instr === "FROM") {
      const fm = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ image: fm?.[1], name: fm?.[2]?.toLowerCase(), instructions: [] });
    } else if (stages.length) stages.at(-1).instructions.push(ins);
  }
  return { text, instructions, stages };
}

/** ENV key=value pairs (the `ENV a=b c=d` form; values may be quoted or empty). */
function envPairs(args) {
  const out = [];
  if (!args.includes("=")) {
    const [k, ...v] = args.split(/\s+/);
    return [[k, v.join(" ")]];
  }
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) out.push([m[1], m[2].replace(/^["']|["']$/g, "")]);
  return out;
}

if (dockerfile) {
  for (const st of dockerfile.stages.slice(-1)) {
    for (const ins of st.instructions.filter((x) => x.instr === "ENV")) {
      for (const [k, v] of envPairs(ins.args)) {
        if (/^sidecar__/i.test(k)) configNames.push({ where: `Dockerfile:${ins.line} ENV`, segments: k.split("__"), value: v });
      }
    }
  }
}

check("configuration names are found (manifests, ConfigMap JSON, Dockerfile ENV)", () => {
  expect(configNames.length > 0, "no Sidecar__ variables or Sidecar JSON keys were found: is the parsing broken?");
});
for (const n of configNames) {
  check(`config name ${n.segments.join(":")} (${n.where}) is read by the daemon`, () => {
    const problem = resolveConfigPath(optionsModel, n.segments, n.value);
    expect(problem === null, problem);
  });
}

check("ConfigMap JSON has no top-level sections besides Sidecar and .NET's own", () => {
  const allowed = new Set(["sidecar", "logging", "allowedhosts", "kestrel"]);
  const extra = Object.keys(configJson?.json ?? {}).filter((k) => !allowed.has(k.toLowerCase()));
  expect(extra.length === 0, `unexpected sections: ${extra.join(", ")}`);
});

check("daemon port defaults match the ports the image and manifests use", () => {
  const rootType = optionsModel.types.get(optionsModel.sections.get("sidecar"));
  for (const [prop, port] of [["healthport", HEALTH_PORT], ["httpport", HTTP_PORT]]) {
    const p = rootType?.props.get(prop);
    expect(p, `${rootType?.name ?? "SidecarOptions"} has no ${prop === "healthport" ? "HealthPort" : "HttpPort"} property`);
    if (p.init !== undefined && /^\d+$/.test(p.init)) equal(Number(p.init), port, `${p.name}'s default`);
    else if (p.init !== undefined && !/^\d+$/.test(p.init)) note(`${p.name}'s default is "${p.init}" (not a literal): not compared`);
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Dockerfile, .dockerignore, scripts/publish.sh

/** The words of a shell command, with the value after -o/--output replaced by OUT. */
function publishWords(cmd) {
  const words = cmd.trim().split(/\s+/).map((w) => w.replace(/^["']|["']$/g, ""));
  return words.map((w, i) => (i > 0 && (words[i - 1] === "-o" || words[i - 1] === "--output") ? "OUT" : w));
}
const EXPECTED_PUBLISH = "dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o /app -p:PublishAot=true -p:StripSymbols=true -warnaserror";

check("Dockerfile exists with a build and a runtime stage", () => {
  expect(dockerfile, "no Dockerfile at the repository root");
  expect(dockerfile.stages.length >= 2, `${dockerfile.stages.length} stage(s)`);
  const build = dockerfile.stages.find((s) => s.name === "build");
  expect(build, "no stage named build");
  equal(build.image, "mcr.microsoft.com/dotnet/sdk:10.0", "the build stage's image");
  equal(dockerfile.stages.at(-1).image, "mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled", "the runtime stage's image (the AOT binary needs no .NET runtime)");
  const tools = build.instructions.filter((x) => x.instr === "RUN" && /apt-get\s+install\b/.test(x.args)).map((x) => x.args).join(" ");
  for (const p of ["clang", "zlib1g-dev"]) expect(new RegExp(`(^|\\s)${p}(\\s|$)`).test(tools), `the build stage does not apt-get install ${p} (Native AOT needs it)`);
});

const publishSh = path.join(root, "scripts/publish.sh");
check("the Dockerfile publishes with the same command as scripts/publish.sh", () => {
  expect(existsSync(publishSh), "scripts/publish.sh is missing");
  const shLines = readFileSync(publishSh, "utf8").split("\n").filter((l) => /^\s*dotnet\s+publish\b/.test(l));
  equal(shLines.length, 1, "dotnet publish lines in scripts/publish.sh");
  const build = dockerfile.stages.find((s) => s.name === "build");
  const runs = build.instructions.filter((x) => x.instr === "RUN" && /\bdotnet\s+publish\b/.test(x.args));
  equal(runs.length, 1, "RUN dotnet publish in the build stage");
  const dockerCmd = runs[0].args.slice(runs[0].args.search(/\bdotnet\s+publish\b/)).split(/&&|;|\|/)[0];
  equal(publishWords(dockerCmd).join(" "), publishWords(shLines[0]).join(" "), "Dockerfile vs scripts/publish.sh (output folder aside)");
  equal(publishWords(dockerCmd).join(" "), publishWords(EXPECTED_PUBLISH).join(" "), "the publish command");
  expect(/-o\s+\/app\b/.test(dockerCmd), "the Dockerfile does not publish to /app");
  expect(/scripts\/publish\.sh/.test(dockerfile.text), "the Dockerfile has no comment naming scripts/publish.sh");
  expect(/Dockerfile/.test(readFileSync(publishSh, "utf8")), "scripts/publish.sh has no comment naming the Dockerfile");
});

check("the runtime stage: app from the build stage, entrypoint, socket, volume, ports, user", () => {
  const rt = dockerfile.stages.at(-1).instructions;
  const by = (instr) => rt.filter((x) => x.instr === instr);
  // The sources of each COPY --from=build (its last word is the destination).
  const copied = by("COPY").filter((x) => /--from=build\b/.test(x.args)).flatMap((x) => x.args.split(/\s+/).filter((w) => !w.startsWith("--")).slice(0, -1));
  expect(!copied.some((w) => /^\/app\/?$/.test(w) || /\.dbg$/.test(w)), "the runtime stage copies the whole publish folder or the symbols: copy /app/Sidecar and /app/appsettings.json only");
  for (const f of ["/app/Sidecar", "/app/appsettings.json"]) expect(copied.includes(f), `no COPY --from=build ${f}`);
  const ep = by("ENTRYPOINT").at(-1);
  expect(ep, "no ENTRYPOINT");
  let epJson;
  try { epJson = JSON.parse(ep.args); } catch { throw new CheckError(`ENTRYPOINT is not the exec (JSON) form: ${ep.args}`); }
  equal(epJson, ["/app/Sidecar"], "ENTRYPOINT");
  expect(by("CMD").length === 0, "CMD would be appended to the entrypoint's arguments");
  const env = Object.fromEntries(by("ENV").flatMap((x) => envPairs(x.args)));
  equal(env.Sidecar__Socket, SOCKET_PATH, "ENV Sidecar__Socket");
  const volumes = by("VOLUME").flatMap((x) => (x.args.startsWith("[") ? JSON.parse(x.args) : x.args.split(/\s+/)));
  expect(volumes.includes(SOCKET_DIR), `no VOLUME ${SOCKET_DIR}`);
  const exposed = by("EXPOSE").flatMap((x) => x.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/, ""));
  equal([...exposed].sort(), [String(HEALTH_PORT), String(HTTP_PORT)], "EXPOSE");
  const user = by("USER").at(-1)?.args;
  equal(user, "app", "USER");
  const wd = by("WORKDIR").at(-1)?.args;
  equal(wd, "/app", "WORKDIR");
});

check("Dockerfile and manifest agree on the socket path", () => {
  const env = Object.fromEntries(dockerfile.stages.at(-1).instructions.filter((x) => x.instr === "ENV").flatMap((x) => envPairs(x.args)));
  equal(env.Sidecar__Socket, sidecarEnv.Sidecar__Socket ?? env.Sidecar__Socket, "Dockerfile ENV vs the manifest's Sidecar__Socket");
});

/** .dockerignore semantics (simplified): the last matching pattern wins; ! re-includes. */
function dockerignore(text) {
  const rules = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => {
    const negate = l.startsWith("!");
    const pat = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, "")).replace(/\/+$/, "");
    const re = new RegExp(`^${pat.split("/").map((seg) => (seg === "**" ? "(?:.*)" : seg.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]"))).join("/").replace(/\(\?:\.\*\)\//g, "(?:.*/)?")}$`);
    return { negate, re };
  });
  return (file) => {
    const parts = file.split("/");
    let ignored = false;
    for (const r of rules) {
      // A pattern matches the path or any of its parent folders.
      for (let n = 1; n <= parts.length; n++) {
        if (r.re.test(parts.slice(0, n).join("/"))) { ignored = !r.negate; break; }
      }
    }
    return ignored;
  };
}

check(".dockerignore keeps what the publish needs and drops build outputs", () => {
  const file = path.join(root, ".dockerignore");
  expect(existsSync(file), ".dockerignore is missing");
  const ignored = dockerignore(readFileSync(file, "utf8"));
  const csproj = "src/Sidecar/Sidecar.csproj";
  const needed = ["global.json", "Directory.Build.props", "Directory.Packages.props", csproj, "src/Sidecar/Program.cs"];
  // Whatever the project file includes from elsewhere (protos, referenced projects).
  if (existsSync(path.join(root, csproj))) {
    const proj = readFileSync(path.join(root, csproj), "utf8");
    for (const m of proj.matchAll(/<(?:Protobuf|ProjectReference|Compile|Content|None|EmbeddedResource)\s+Include="([^"*]+)"/g)) {
      needed.push(path.posix.normalize(path.posix.join("src/Sidecar", m[1].replaceAll("\\", "/"))));
    }
  }
  for (const f of needed) {
    expect(!f.startsWith(".."), `${csproj} includes ${f}, outside the build context`);
    expect(!ignored(f), `${f} is needed by the build but .dockerignore drops it`);
  }
  for (const f of ["src/Sidecar/bin/Release/net10.0/Sidecar.dll", "src/Sidecar/obj/project.assets.json", ".git/HEAD", "artifacts/publish/Sidecar", "deploy/check/node_modules/yaml/package.json", "tests/x.cs", "clients/node/node_modules/a.js"])
    expect(ignored(f), `${f} would be sent to the docker build context`);
});

const lint = path.join(here, "node_modules/.bin/dockerfilelint");
if (!runLint) {
  // Self-test copies: the lint is run once, on the real Dockerfile.
} else if (existsSync(lint)) {
  check("dockerfilelint finds no issues", () => {
    const r = spawnSync(lint, ["-j", dockerfilePath], { encoding: "utf8" });
    let report;
    try { report = JSON.parse(r.stdout); } catch { throw new CheckError(`dockerfilelint failed: ${r.stderr || r.stdout}`); }
    const issues = (report.files ?? []).flatMap((f) => f.issues ?? []);
    expect(issues.length === 0, issues.map((i) => `line ${i.line}: ${i.title} (${i.category})`).join("\n"));
  });
} else {
  note("dockerfilelint is not installed (optional dependency): Dockerfile lint skipped");
}

// ---------------------------------------------------------------------------------------------
// 5. Self-test: known mistakes must be caught

const DEPLOYMENT = "deploy/kubernetes/agent-with-sidecar.yaml";
const CONFIGMAP = "deploy/kubernetes/configmap.yaml";
const SECRET = "deploy/kubernetes/secret-example.yaml";
/** [what, file (or files), from, to, the message the check must print]. `from` must occur in each file. */
const MISTAKES = [
  ["the sidecar as a plain init container", DEPLOYMENT, "restartPolicy: Always", "restartPolicy: OnFailure", "init containers with restartPolicy Always"],
  ["liveness probed on the wrong port", DEPLOYMENT, "port: 8081\n              service: liveness", "port: 8080\n              service: liveness", "livenessProbe.grpc"],
  ["liveness probed with the readiness service", DEPLOYMENT, "service: liveness", "service: readiness", "livenessProbe.grpc"],
  ["a probe port written as a string", DEPLOYMENT, "port: 8081\n              service: liveness", "port: \"8081\"\n              service: liveness", "must be integer"],
  ["a misspelt field the schema alone allows", DEPLOYMENT, "runAsNonRoot: true\n            runAsUser: 1654", "runAsNonRot: true\n            runAsUser: 1654", "fields the API does not know: spec.template.spec.initContainers[0].securityContext.runAsNonRot"],
  ["a duplicated YAML key", DEPLOYMENT, "      terminationGracePeriodSeconds: 30\n", "      terminationGracePeriodSeconds: 30\n      terminationGracePeriodSeconds: 60\n", "parses as YAML"],
  ["a namespace in an example", SECRET, "  name: sidecar-keys\n", "  name: sidecar-keys\n  namespace: default\n", "metadata.namespace is set"],
  ["a misspelt Sidecar__ variable", DEPLOYMENT, "name: Sidecar__ShutdownGrace", "name: Sidecar__ShutdownGrase", "has no property ShutdownGrase"],
  ["a TimeSpan written as a bare number", DEPLOYMENT, "value: \"00:00:25\"", "value: \"25\"", "DAYS"],
  ["a misspelt ConfigMap key", CONFIGMAP, "\"MaxMessages\"", "\"MaxMesages\"", "has no property MaxMesages"],
  ["a ConfigMap value of the wrong type", CONFIGMAP, "\"MaxEntries\": 1000", "\"MaxEntries\": \"lots\"", "is not an integer"],
  ["the agent without the socket volume", DEPLOYMENT, "              readOnly: true # connecting", "              readOnly: true\n              subPath: x # connecting", "uses subPath"],
  ["the agent mounting the socket folder writable", DEPLOYMENT, "              readOnly: true # connecting", "              readOnly: false # connecting", "socket mount readOnly"],
  ["the agent with another socket path", DEPLOYMENT, "            - name: SIDECAR_SOCKET\n              value: /var/run/sidecar/sidecar.sock", "            - name: SIDECAR_SOCKET\n              value: /tmp/sidecar.sock", "SIDECAR_SOCKET"],
  ["a writable root filesystem", DEPLOYMENT, "readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [\"ALL\"]\n            seccompProfile:\n              type: RuntimeDefault\n          volumeMounts:\n            - name: sidecar-socket\n              mountPath: /var/run/sidecar\n            - name", "readOnlyRootFilesystem: false\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [\"ALL\"]\n            seccompProfile:\n              type: RuntimeDefault\n          volumeMounts:\n            - name: sidecar-socket\n              mountPath: /var/run/sidecar\n            - name", "sidecar readOnlyRootFilesystem"],
  ["world-readable keys (0444)", DEPLOYMENT, "defaultMode: 0440", "defaultMode: 0444", "world-accessible"],
  ["keys mounted read-write", DEPLOYMENT, "mountPath: /etc/sidecar/keys\n              readOnly: true", "mountPath: /etc/sidecar/keys\n              readOnly: false", "readOnly"],
  ["a shutdown grace longer than the pod's", DEPLOYMENT, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 20", "terminationGracePeriodSeconds"],
  ["no scrape annotation", DEPLOYMENT, "prometheus.io/scrape: \"true\"", "prometheus.io/scrape: \"false\"", "prometheus.io/scrape"],
  ["--config pointing at a file the ConfigMap lacks", DEPLOYMENT, "path: sidecar.json", "path: settings.json", "configMap items do not project sidecar.json"],
  ["a Dockerfile publishing differently from scripts/publish.sh", "Dockerfile", "-c Release -r linux-x64 -o /app", "-c Debug -r linux-x64 -o /app", "Dockerfile vs scripts/publish.sh"],
  ["scripts/publish.sh publishing differently from the Dockerfile", "scripts/publish.sh", "-p:StripSymbols=true", "-p:StripSymbols=false", "Dockerfile vs scripts/publish.sh"],
  ["warnings no longer errors, in both", ["Dockerfile", "scripts/publish.sh"], " -warnaserror", "", "the publish command"],
  ["the entrypoint in shell form", "Dockerfile", "ENTRYPOINT [\"/app/Sidecar\"]", "ENTRYPOINT /app/Sidecar", "exec (JSON) form"],
  ["the ASP.NET Core runtime as the base", "Dockerfile", "runtime-deps:10.0-noble-chiseled AS runtime", "aspnet:10.0-noble-chiseled AS runtime", "the runtime stage's image"],
  ["no clang in the build stage", "Dockerfile", "install -y --no-install-recommends clang zlib1g-dev", "install -y --no-install-recommends zlib1g-dev", "apt-get install clang"],
  ["the symbols copied into the image", "Dockerfile", "COPY --from=build /app/Sidecar /app/appsettings.json /app/", "COPY --from=build /app/ /app/", "copies the whole publish folder or the symbols"],
  ["one port not exposed", "Dockerfile", "EXPOSE 8081 8082", "EXPOSE 8081", "EXPOSE"],
  ["a root user", "Dockerfile", "USER app", "USER root", "USER"],
  ["an image socket path the manifest does not use", "Dockerfile", "ENV Sidecar__Socket=/var/run/sidecar/sidecar.sock", "ENV Sidecar__Socket=/run/sidecar.sock", "ENV Sidecar__Socket"],
  ["the protos left out of the build context", ".dockerignore", "!protos/\n", "", "is needed by the build"],
  ["obj/ folders sent to the build context", ".dockerignore", "**/obj/\n", "", "would be sent to the docker build context"],
];

function copyTree(from, to) {
  for (const f of readdirSync(from)) {
    const [a, b] = [path.join(from, f), path.join(to, f)];
    if (statSync(a).isDirectory()) { mkdirSync(b, { recursive: true }); copyTree(a, b); } else copyFileSync(a, b);
  }
}

function runCopy(dir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--root", dir, "--no-self-test", "--no-lint", "-q"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    child.on("close", (code) => resolve({ code, out }));
  });
}

if (selfTest) {
  const base = mkdtempSync(path.join(os.tmpdir(), "sidecar-deploy-check-"));
  try {
    const files = ["Dockerfile", ".dockerignore", "scripts/publish.sh", "src/Sidecar/Sidecar.csproj",
      ...yamlFiles.map((f) => rel(f)), ...csFiles.map((f) => rel(f))];
    const make = (name, mutate) => {
      const dir = path.join(base, name);
      for (const f of files) {
        if (!existsSync(path.join(root, f))) continue;
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        copyFileSync(path.join(root, f), path.join(dir, f));
      }
      mutate?.(dir);
      return dir;
    };
    const cases = [{ what: "the files as they are", dir: make("as-is"), expectCode: failed === 0 ? 0 : 1 }];
    MISTAKES.forEach(([what, file, from, to, message], i) => {
      let stale = false;
      const dir = make(`mistake-${i}`, (d) => {
        for (const f of [].concat(file)) {
          const p = path.join(d, f);
          const text = existsSync(p) ? readFileSync(p, "utf8") : "";
          if (!text.includes(from)) stale = true;
          writeFileSync(p, text.replace(from, to));
        }
      });
      cases.push({ what, file, dir, message, stale, expectCode: 1 });
    });
    // Two at a time: the machine is small.
    const results = new Array(cases.length);
    let next = 0;
    await Promise.all([0, 1].map(async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = cases[i].stale ? null : await runCopy(cases[i].dir);
      }
    }));
    cases.forEach((c, i) => {
      check(`self-test: ${c.what}${c.expectCode ? " is caught" : " give the same verdict"}`, () => {
        expect(!c.stale, `${c.file} no longer contains the text this self-test changes: update MISTAKES`);
        const r = results[i];
        equal(r.code, c.expectCode, `exit code of the check on a copy${c.expectCode ? ` with ${c.what}` : ""}\n${r.out.trim()}`);
        if (c.message) {
          const failures = r.out.split("\n").filter((l) => l.startsWith("FAIL") || l.startsWith("     ")).join("\n");
          expect(failures.includes(c.message), `the failure does not mention "${c.message}":\n${failures}`);
        }
      });
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 6. (--smoke) The published daemon, run as the pod would run it

if (smokeDir) {
  const imageEnv = Object.fromEntries(
    (dockerfile?.stages.at(-1)?.instructions ?? []).filter((x) => x.instr === "ENV").flatMap((x) => envPairs(x.args)),
  );
  await smoke({
    publishDir: path.resolve(smokeDir),
    pod,
    sidecar,
    docs,
    imageEnv,
    shutdownGraceSeconds: parseTimeSpanSeconds(sidecarEnv.Sidecar__ShutdownGrace ?? "00:00:25"),
    checkAsync,
    expect,
    equal,
    note,
  });
}

// ---------------------------------------------------------------------------------------------

console.log(`deploy: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
