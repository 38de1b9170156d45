import { parse as parseDotenv } from "dotenv";
import { parse as parseShellWords } from "shell-quote";
import { LABEL_KEY, LABEL_VALUE } from "../../shared/labels.js";
import type { ComposeFile } from "./read-compose.js";

/** The label that keeps an application's resources together: `cube list -l cube.dev/app=NAME`, `delete -f`, `--prune`. */
export const APP_LABEL = "cube.dev/app";
/** The Compose service a resource comes from. */
export const SERVICE_LABEL = "cube.dev/service";

/** The fields of a service Cube reads; every other one is named in a warning (`x-` extensions are dropped before). */
const READ = new Set([
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "deploy",
  "restart",
  "hostname",
  "stop_grace_period",
  "healthcheck",
  "ports",
  "expose",
  "networks",
  "user",
  "working_dir",
  "init",
  "read_only",
  "cap_add",
  "cap_drop",
  "stop_signal",
  "labels",
  "env_file",
  "secrets",
  "configs",
]);
const READ_IN_DEPLOY = new Set(["replicas", "restart_policy", "resources", "placement", "update_config"]);

type Service = Record<string, unknown>;

/** A Compose duration, Go's syntax ("1m30s", "10s", "500ms", "1h"), in milliseconds; undefined when it is not one. */
export function composeDuration(text: string): number | undefined {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(us|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(us|ms|s|m|h)/g)) total += Number(amount) * units[unit];
  return total;
}

/** Cube's names are DNS labels: a Compose name in lowercase, "_" and "." as "-". */
export function resourceName(composeName: string): string {
  return composeName.toLowerCase().replace(/[_.]/g, "-");
}

/**
 * A Compose file's services as Cube resources, kept together by the application's label: a deployment per service
 * (named after it, so `db` resolves to its ready replicas, on any port, as under Compose), and, for a service that
 * publishes or exposes ports, a service of the same name (a virtual IP balanced over them). What Cube does not read is
 * named, with its line, in one warning; what it cannot do is a problem.
 */
/** What a Compose file reaches beyond itself: files by their path from its folder (env_file, secrets), variables. */
export interface ComposeSurroundings {
  readFile(path: string): Buffer;
  env(name: string): string | undefined;
}

export function composeResources(
  file: ComposeFile,
  project: string,
  around: ComposeSurroundings,
): { resources: object[]; warnings: string[]; problems: string[] } {
  const resources: object[] = [];
  const problems: string[] = [];
  const ignored: string[] = [];
  const keyed = keyedResources(file, project, around, resources, (path, message) => problems.push(`${file.at(path)}: ${message}`));
  const withNetworks = Object.keys(file.services).find((name) => file.services[name].networks !== undefined);
  if (Object.keys(file.networks).length > 0 || withNetworks) {
    const at = Object.keys(file.networks).length > 0 ? file.at(["networks"]) : file.at(["services", withNetworks!, "networks"]);
    ignored.push(`${at}: networks (Cube has one flat network: every service reaches every other)`);
  }
  for (const [composeName, service] of Object.entries(file.services)) {
    const name = resourceName(composeName);
    const at = (...path: (string | number)[]) => file.at(["services", composeName, ...path]);
    const problem = (path: (string | number)[], message: string) => problems.push(`${at(...path)}: ${message}`);
    for (const key of Object.keys(service)) if (!READ.has(key)) ignored.push(`${at(key)}: ${key}`);
    const deploy = (service.deploy ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(deploy)) if (!READ_IN_DEPLOY.has(key)) ignored.push(`${at("deploy", key)}: deploy.${key}`);
    if (service.image === undefined) {
      problem(
        [],
        service.build === undefined
          ? "no image: give one"
          : "build without image: Cube runs images, it does not build them (build and push the image, then set image)",
      );
      continue;
    }
    const labels = { [APP_LABEL]: project, [SERVICE_LABEL]: name };
    // Compose's labels are free text (Docker's container labels); those that are valid Cube labels go on the pods.
    const podLabels: Record<string, string> = { ...labels };
    const composeLabels = Array.isArray(service.labels)
      ? Object.fromEntries(service.labels.map((item) => String(item).split(/=(.*)/s).slice(0, 2)))
      : ((service.labels ?? {}) as Record<string, unknown>);
    for (const [key, value] of Object.entries(composeLabels)) {
      if (LABEL_KEY.test(key) && LABEL_VALUE.test(String(value ?? ""))) podLabels[key] = String(value ?? "");
      else ignored.push(`${at("labels")}: label ${key} (a Cube label's value is at most 63 letters, digits, '-', '_' or '.')`);
    }
    const container: Record<string, unknown> = { name, image: service.image };
    const words = (key: "command" | "entrypoint") => {
      const value = service[key];
      if (value === undefined || value === null) return undefined;
      if (Array.isArray(value)) return value.map(String);
      const parsed = parseShellWords(String(value), (variable) => `$${variable}`);
      if (parsed.some((word) => typeof word !== "string")) {
        problem([key], `shell operators are not run (no shell reads ${key}): write ["sh", "-c", "..."]`);
        return undefined;
      }
      return parsed as string[];
    };
    const entrypoint = words("entrypoint");
    const command = words("command");
    // Compose's entrypoint replaces the image's ENTRYPOINT, its command the CMD: Cube's (Kubernetes') command and args.
    if (entrypoint) container.command = entrypoint;
    if (command) container.args = command;
    const envFiles = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    const fromFiles: Record<string, string> = {};
    for (const [index, entry] of envFiles.entries()) {
      const path = typeof entry === "object" && entry !== null ? (entry as { path?: unknown }).path : entry;
      try {
        Object.assign(fromFiles, parseDotenv(around.readFile(String(path))));
      } catch (error) {
        const optional = typeof entry === "object" && entry !== null && (entry as { required?: unknown }).required === false;
        if (!optional)
          problem(
            ["env_file", ...(Array.isArray(service.env_file) ? [index] : [])],
            `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
      }
    }
    // As Compose: environment wins over env_file.
    const env = { ...fromFiles, ...environmentOf(service.environment, (message) => problem(["environment"], message)) };
    if (Object.keys(env).length > 0) container.env = env;
    const ports = portsOf(service, (path, message) => problem(path, message));
    if (ports.container.length > 0) container.ports = ports.container;
    const probe = probeOf(service.healthcheck, (key, message) => problem(["healthcheck", key], message));
    if (probe) Object.assign(container, { readinessProbe: probe, livenessProbe: probe });
    if (service.user !== undefined) container.user = String(service.user);
    if (service.working_dir !== undefined) container.workingDir = service.working_dir;
    if (service.init !== undefined) container.init = service.init;
    if (service.stop_signal !== undefined) container.stopSignal = service.stop_signal;
    const securityContext = {
      ...(service.read_only !== undefined ? { readOnlyRootFilesystem: service.read_only } : {}),
      ...(service.cap_add || service.cap_drop
        ? { capabilities: { ...(service.cap_add ? { add: service.cap_add } : {}), ...(service.cap_drop ? { drop: service.cap_drop } : {}) } }
        : {}),
    };
    if (Object.keys(securityContext).length > 0) container.securityContext = securityContext;
    const amounts = resourcesOf(deploy.resources, (path, message) => problem(["deploy", "resources", ...path], message));
    if (amounts) container.resources = amounts;
    const spec: Record<string, unknown> = { containers: [container] };
    const files = keyedFiles(
      service,
      keyed,
      (path, message) => problem(path, message),
      (path, what) => ignored.push(`${at(...path)}: ${what}`),
    );
    if (files.volumes.length > 0) {
      spec.volumes = files.volumes;
      container.volumeMounts = files.mounts;
    }
    const nodeSelector = nodeSelectorOf(deploy.placement, (path, message) => problem(["deploy", "placement", ...path], message));
    if (nodeSelector) spec.nodeSelector = nodeSelector;
    const restart = restartPolicy(service, (path, message) => problem(path, message));
    if (restart) spec.restartPolicy = restart;
    if (typeof service.hostname === "string") spec.hostname = service.hostname;
    if (service.stop_grace_period !== undefined) {
      const ms = composeDuration(String(service.stop_grace_period));
      if (ms === undefined) problem(["stop_grace_period"], `${JSON.stringify(service.stop_grace_period)} is not a duration (e.g. 10s, 1m30s)`);
      else spec.terminationGracePeriodSeconds = Math.ceil(ms / 1000);
    }
    const replicas = deploy.replicas ?? 1;
    if (!Number.isInteger(replicas)) problem(["deploy", "replicas"], "must be a whole number");
    resources.push({
      type: "deployment",
      metadata: { name, labels },
      spec: {
        replicas,
        template: { metadata: { labels: podLabels }, spec },
        ...strategyOf(deploy.update_config, (path, message) => problem(["deploy", "update_config", ...path], message)),
      },
    });
    if (ports.service.length > 0) {
      const published = ports.service.some((p) => p.nodePort !== undefined);
      resources.push({
        type: "service",
        metadata: { name, labels },
        spec: { ...(published ? { type: "NodePort" } : {}), selector: labels, ports: ports.service },
      });
    }
  }
  const warnings = ignored.length === 0 ? [] : [`not read by Cube (it runs the rest without them):\n${ignored.map((line) => `  ${line}`).join("\n")}`];
  return { resources, warnings, problems };
}

/** A top-level secret or config, by its Compose name: the Cube resource that holds it, under the key of that name. */
type KeyedIndex = Record<"secrets" | "configs", Map<string, string>>;

/**
 * The top-level `secrets` and `configs` as Cube's: `file:` (from the file's folder), `environment:` (a variable's value)
 * or, for a config, `content:`, each a secret or config named PROJECT-NAME holding one key, NAME; `external: true`
 * names one that exists already in Cube (`name:` or NAME), which must hold a key NAME.
 */
function keyedResources(
  file: ComposeFile,
  project: string,
  around: ComposeSurroundings,
  resources: object[],
  problem: (path: (string | number)[], message: string) => void,
): KeyedIndex {
  const index: KeyedIndex = { secrets: new Map(), configs: new Map() };
  for (const section of ["secrets", "configs"] as const) {
    for (const [name, raw] of Object.entries(file[section])) {
      const entry = (raw ?? {}) as { file?: unknown; environment?: unknown; content?: unknown; external?: unknown; name?: unknown };
      const at = [section, name];
      if (entry.external === true || (typeof entry.external === "object" && entry.external !== null)) {
        index[section].set(name, resourceName(String(entry.name ?? name)));
        continue;
      }
      let value: Buffer | undefined;
      if (entry.file !== undefined) {
        try {
          value = around.readFile(String(entry.file));
        } catch (error) {
          problem([...at, "file"], `cannot read ${entry.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          continue;
        }
      } else if (entry.environment !== undefined) {
        const text = around.env(String(entry.environment));
        if (text === undefined) {
          problem([...at, "environment"], `the variable ${entry.environment} is not set`);
          continue;
        }
        value = Buffer.from(text);
      } else if (section === "configs" && entry.content !== undefined) value = Buffer.from(String(entry.content));
      else {
        problem(at, `give its value: file, environment${section === "configs" ? ", content" : ""}, or external: true`);
        continue;
      }
      const cubeName = resourceName(`${project}-${name}`);
      index[section].set(name, cubeName);
      const text = Buffer.from(value.toString("utf8"), "utf8").equals(value);
      resources.push({
        type: section === "secrets" ? "secret" : "config",
        metadata: { name: cubeName, labels: { [APP_LABEL]: project } },
        ...(text ? { data: { [name]: value.toString("utf8") } } : { binaryData: { [name]: value.toString("base64") } }),
      });
    }
  }
  return index;
}

/**
 * A service's `secrets` and `configs` (short: NAME; long: {source, target, mode}) as volumes of one file each, mounted
 * where Compose mounts them: /run/secrets/NAME (or TARGET) for a secret, /NAME (or TARGET) for a config.
 */
function keyedFiles(
  service: Service,
  index: KeyedIndex,
  problem: (path: (string | number)[], message: string) => void,
  ignore: (path: (string | number)[], what: string) => void,
): { volumes: object[]; mounts: object[] } {
  const volumes: object[] = [];
  const mounts: object[] = [];
  for (const section of ["secrets", "configs"] as const) {
    for (const [position, raw] of ((service[section] as unknown[]) ?? []).entries()) {
      const long =
        typeof raw === "object" && raw !== null ? (raw as { source?: unknown; target?: unknown; mode?: unknown; uid?: unknown; gid?: unknown }) : undefined;
      const source = String(long ? long.source : raw);
      const cubeName = index[section].get(source);
      if (!cubeName) {
        problem([section, position], `no top-level ${section} named "${source}"`);
        continue;
      }
      if (long?.uid !== undefined || long?.gid !== undefined) ignore([section, position], `${section}: uid and gid (the file belongs to root)`);
      const target = long?.target === undefined ? source : String(long.target);
      const mountPath = target.startsWith("/") ? target : section === "secrets" ? `/run/secrets/${target}` : `/${target}`;
      const volume = resourceName(`${section === "secrets" ? "secret" : "config"}-${source}`)
        .slice(0, 63)
        .replace(/-+$/, "");
      const mode = octalMode(long?.mode);
      volumes.push({
        name: volume,
        [section === "secrets" ? "secret" : "config"]: { name: cubeName, items: [{ key: source, path: source, ...(mode === undefined ? {} : { mode }) }] },
      });
      mounts.push({ name: volume, mountPath, readOnly: true, subPath: source });
    }
  }
  return { volumes, mounts };
}

/** A Compose file mode: octal as Compose reads it (0440 in YAML is 440 to a YAML 1.2 reader: its digits are octal). */
function octalMode(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const digits = typeof value === "number" ? String(value) : String(value).replace(/^0o?/, "");
  return /^[0-7]{1,4}$/.test(digits) ? parseInt(digits, 8) : undefined;
}

/** deploy.resources: the limits (what Docker enforces), else the reservations, as the container's resources. */
function resourcesOf(value: unknown, problem: (path: string[], message: string) => void): { cpu?: string; memory?: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const { limits, reservations } = value as { limits?: Record<string, unknown>; reservations?: Record<string, unknown> };
  const chosen = limits ?? reservations;
  if (!chosen) return undefined;
  const out: { cpu?: string; memory?: string } = {};
  if (chosen.cpus !== undefined) out.cpu = String(chosen.cpus);
  if (chosen.memory !== undefined) {
    // Compose writes 512M, 1G, 512m, 1gb; Cube (Kubernetes) writes 512Mi, 1Gi.
    const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(chosen.memory));
    if (!match) problem([limits ? "limits" : "reservations", "memory"], `${JSON.stringify(chosen.memory)} is not an amount of memory (e.g. 512M, 1G)`);
    else out.memory = `${match[1]}${match[2] ? `${match[2].toUpperCase()}i` : ""}`;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** deploy.placement.constraints of the form `node.labels.KEY == VALUE` as a nodeSelector; any other is refused. */
function nodeSelectorOf(value: unknown, problem: (path: (string | number)[], message: string) => void): Record<string, string> | undefined {
  const constraints = (value as { constraints?: unknown[] } | undefined)?.constraints ?? [];
  const selector: Record<string, string> = {};
  for (const [index, constraint] of constraints.entries()) {
    const match = /^\s*node\.labels\.([^\s=!]+)\s*==\s*(\S+)\s*$/.exec(String(constraint));
    if (match) selector[match[1]] = match[2];
    else problem(["constraints", index], `"${constraint}": Cube places by node labels only: node.labels.KEY == VALUE (a node's --label)`);
  }
  return Object.keys(selector).length > 0 ? selector : undefined;
}

/** deploy.update_config as a rolling update: start-first surges by `parallelism`, stop-first (Compose's default) stops as many first. */
function strategyOf(value: unknown, problem: (path: string[], message: string) => void): { strategy?: object } {
  if (value === undefined || value === null) return {};
  const { parallelism = 1, order = "stop-first" } = value as { parallelism?: unknown; order?: unknown };
  if (!Number.isInteger(parallelism) || (parallelism as number) < 1) {
    problem(["parallelism"], "must be a whole number of at least 1");
    return {};
  }
  if (order !== "stop-first" && order !== "start-first") {
    problem(["order"], "must be stop-first or start-first");
    return {};
  }
  const rollingUpdate = order === "start-first" ? { maxSurge: parallelism, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: parallelism };
  return { strategy: { type: "RollingUpdate", rollingUpdate } };
}

/** `environment` as a map, or a list of KEY=VALUE (a bare KEY takes the caller's value, and is left out when unset). */
function environmentOf(value: unknown, problem: (message: string) => void): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const env: Record<string, string> = {};
    for (const item of value.map(String)) {
      const equals = item.indexOf("=");
      if (equals === -1) {
        const inherited = process.env[item];
        if (inherited !== undefined) env[item] = inherited;
      } else env[item.slice(0, equals)] = item.slice(equals + 1);
    }
    return env;
  }
  if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]));
  problem("must be a map or a list of KEY=VALUE");
  return {};
}

interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: "tcp" | "udp";
  nodePort?: number;
}

/**
 * `ports` (short "[IP:][PUBLISHED:]TARGET[/PROTO]", ranges, or long {target, published, protocol}) and `expose`: the
 * container's ports, and the service's (published ones as node ports: answered on every node, as Swarm's mesh does).
 */
function portsOf(service: Service, problem: (path: (string | number)[], message: string) => void) {
  const container: { containerPort: number; protocol: "tcp" | "udp" }[] = [];
  const ports: ServicePort[] = [];
  const add = (target: number, protocol: "tcp" | "udp", published?: number) => {
    if (!container.some((p) => p.containerPort === target && p.protocol === protocol)) container.push({ containerPort: target, protocol });
    if (ports.some((p) => p.port === (published ?? target) && p.protocol === protocol)) return;
    ports.push({
      name: `${protocol}-${published ?? target}`,
      port: published ?? target,
      targetPort: target,
      protocol,
      ...(published ? { nodePort: published } : {}),
    });
  };
  for (const [index, entry] of ((service.ports as unknown[]) ?? []).entries()) {
    if (typeof entry === "object" && entry !== null) {
      const { target, published, protocol = "tcp" } = entry as { target?: unknown; published?: unknown; protocol?: string };
      if (typeof target !== "number") problem(["ports", index, "target"], "must be a port number");
      else add(target, protocol === "udp" ? "udp" : "tcp", published === undefined ? undefined : Number(published));
      continue;
    }
    const match = shortPort(String(entry));
    if (!match) {
      problem(["ports", index], `"${entry}" is not a port: [IP:][PUBLISHED:]TARGET[/tcp|udp], ranges as 8000-8010`);
      continue;
    }
    const [, publishedFirst, publishedLast, targetFirst, targetLast, protocol = "tcp"] = match;
    const count = Number(targetLast ?? targetFirst) - Number(targetFirst) + 1;
    if (publishedFirst && Number(publishedLast ?? publishedFirst) - Number(publishedFirst) + 1 !== count) {
      problem(["ports", index], `"${entry}": the published range and the target range differ in length`);
      continue;
    }
    for (let i = 0; i < count; i++)
      add(Number(targetFirst) + i, protocol as "tcp" | "udp", publishedFirst === undefined ? undefined : Number(publishedFirst) + i);
  }
  for (const [index, entry] of ((service.expose as unknown[]) ?? []).entries()) {
    const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match) problem(["expose", index], `"${entry}" is not a port`);
    else add(Number(match[1]), (match[2] ?? "tcp") as "tcp" | "udp");
  }
  return { container, service: ports };
}

/** The parts of a short port ("[IP:][PUBLISHED[-LAST]:]TARGET[-LAST][/PROTO]", IPv6 in brackets); undefined when it is not one. */
function shortPort(text: string): (string | undefined)[] | undefined {
  const [spec, protocol, extra] = text.split("/");
  if (extra !== undefined || (protocol !== undefined && protocol !== "tcp" && protocol !== "udp")) return undefined;
  const withoutHost = spec.replace(/^(\[[0-9a-fA-F:.]+\]|\d{1,3}(\.\d{1,3}){3}):/, "");
  const parts = withoutHost.split(":");
  if (parts.length > 2) return undefined;
  const range = /^(\d+)(?:-(\d+))?$/;
  const target = range.exec(parts.at(-1)!);
  const published = parts.length === 2 && parts[0] !== "" ? range.exec(parts[0]) : undefined;
  if (!target || published === null) return undefined;
  return [text, published?.[1], published?.[2], target[1], target[2], protocol];
}

/** A `healthcheck` as a probe (readiness and liveness alike); none when absent or disabled. */
function probeOf(value: unknown, problem: (key: string, message: string) => void): object | undefined {
  if (value === undefined || value === null) return undefined;
  const check = value as { test?: unknown; interval?: unknown; timeout?: unknown; retries?: unknown; start_period?: unknown; disable?: unknown };
  if (check.disable === true) return undefined;
  const test = typeof check.test === "string" ? ["CMD-SHELL", check.test] : (check.test as unknown[] | undefined);
  if (!Array.isArray(test) || test.length === 0) {
    problem("test", 'must be a command: ["CMD", ...], ["CMD-SHELL", "..."] or a string');
    return undefined;
  }
  if (test[0] === "NONE") return undefined;
  const command = test[0] === "CMD" ? test.slice(1).map(String) : test[0] === "CMD-SHELL" ? ["sh", "-c", test.slice(1).join(" ")] : undefined;
  if (!command || command.length === 0) {
    problem("test", `must start with CMD, CMD-SHELL or NONE, not ${JSON.stringify(test[0])}`);
    return undefined;
  }
  const seconds = (key: "interval" | "timeout" | "start_period", fallback: number) => {
    const text = check[key];
    if (text === undefined) return fallback;
    const ms = composeDuration(String(text));
    if (ms === undefined) {
      problem(key, `${JSON.stringify(text)} is not a duration (e.g. 10s, 1m30s)`);
      return fallback;
    }
    return Math.max(1, Math.round(ms / 1000));
  };
  // Compose's defaults: every 30 s, 30 s to answer, 3 retries.
  return {
    exec: { command },
    periodSeconds: seconds("interval", 30),
    timeoutSeconds: seconds("timeout", 30),
    failureThreshold: typeof check.retries === "number" ? check.retries : 3,
    ...(check.start_period === undefined ? {} : { initialDelaySeconds: seconds("start_period", 0) }),
  };
}

/** `restart` ("no", always, on-failure, unless-stopped) or deploy.restart_policy.condition (none, on-failure, any). */
function restartPolicy(service: Service, problem: (path: (string | number)[], message: string) => void): string | undefined {
  const condition = ((service.deploy as { restart_policy?: { condition?: unknown } } | undefined)?.restart_policy?.condition ?? undefined) as
    string | undefined;
  if (condition !== undefined) {
    const policy = { none: "Never", "on-failure": "OnFailure", any: "Always" }[condition];
    if (!policy) problem(["deploy", "restart_policy", "condition"], "must be none, on-failure or any");
    return policy;
  }
  if (service.restart === undefined) return undefined;
  const restart = String(service.restart).split(":")[0];
  const policy = { no: "Never", always: "Always", "on-failure": "OnFailure", "unless-stopped": "Always" }[restart];
  if (!policy) problem(["restart"], 'must be "no", always, on-failure or unless-stopped');
  return policy;
}
