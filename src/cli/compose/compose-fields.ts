import type { Service } from "./compose-vocabulary.js";

// The fields of a Compose service that become fields of Cube's pod spec, one function each (pure).

/** A Compose duration, Go's syntax ("1m30s", "10s", "500ms", "1h"), in milliseconds; undefined when it is not one. */
export function composeDuration(text: string): number | undefined {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(us|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(us|ms|s|m|h)/g)) total += Number(amount) * units[unit];
  return total;
}

/** deploy.resources: the limits (what Docker enforces), else the reservations, as the container's resources. */
export function resourcesOf(value: unknown, problem: (path: string[], message: string) => void): { cpu?: string; memory?: string } | undefined {
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
export function nodeSelectorOf(value: unknown, problem: (path: (string | number)[], message: string) => void): Record<string, string> | undefined {
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
export function strategyOf(value: unknown, problem: (path: string[], message: string) => void): { strategy?: object } {
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
export function environmentOf(value: unknown, inherit: (name: string) => string | undefined, problem: (message: string) => void): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const env: Record<string, string> = {};
    for (const item of value.map(String)) {
      const equals = item.indexOf("=");
      if (equals === -1) {
        const inherited = inherit(item);
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
 * container's ports, and the service's. A service port is the container's (as `web:80` reaches it under Compose); a
 * published one is also a node port, answered on every node as Swarm's mesh does; one of `ports` without a published
 * port gets a node port the leader chooses, as Compose's gets an ephemeral host port.
 */
export function portsOf(
  service: Service,
  problem: (path: (string | number)[], message: string) => void,
  note: (path: (string | number)[], what: string) => void,
) {
  const container: { containerPort: number; protocol: "tcp" | "udp" }[] = [];
  const ports: ServicePort[] = [];
  let published = false;
  const add = (target: number, protocol: "tcp" | "udp", nodePort: number | "auto" | undefined) => {
    if (nodePort !== undefined) published = true;
    if (!container.some((p) => p.containerPort === target && p.protocol === protocol)) container.push({ containerPort: target, protocol });
    const fixed = typeof nodePort === "number" ? { nodePort } : {};
    const same = ports.find((p) => p.port === target && p.protocol === protocol);
    if (!same) ports.push({ name: `${protocol}-${target}`, port: target, targetPort: target, protocol, ...fixed });
    else if (same.nodePort === undefined) Object.assign(same, fixed);
    // The same container port published twice: a second service port, named after its node port.
    else if (typeof nodePort === "number" && !ports.some((p) => p.nodePort === nodePort && p.protocol === protocol))
      ports.push({ name: `${protocol}-${nodePort}`, port: nodePort, targetPort: target, protocol, nodePort });
  };
  for (const [index, entry] of ((service.ports as unknown[]) ?? []).entries()) {
    if (typeof entry === "object" && entry !== null) {
      const { target, published, protocol = "tcp" } = entry as { target?: unknown; published?: unknown; protocol?: string };
      if (typeof target !== "number") problem(["ports", index, "target"], "must be a port number");
      else add(target, protocol === "udp" ? "udp" : "tcp", published === undefined ? "auto" : Number(published));
      continue;
    }
    const match = shortPort(String(entry));
    if (!match) {
      problem(["ports", index], `"${entry}" is not a port: [IP:][PUBLISHED:]TARGET[/tcp|udp], ranges as 8000-8010`);
      continue;
    }
    const [, publishedFirst, publishedLast, targetFirst, targetLast, protocol = "tcp", hostIp] = match;
    if (hostIp) note(["ports", index], `${entry}: answered on every address of every node (a node port is not bound to one address)`);
    const count = Number(targetLast ?? targetFirst) - Number(targetFirst) + 1;
    if (publishedFirst && Number(publishedLast ?? publishedFirst) - Number(publishedFirst) + 1 !== count) {
      problem(["ports", index], `"${entry}": the published range and the target range differ in length`);
      continue;
    }
    for (let i = 0; i < count; i++) add(Number(targetFirst) + i, protocol as "tcp" | "udp", publishedFirst === undefined ? "auto" : Number(publishedFirst) + i);
  }
  for (const [index, entry] of ((service.expose as unknown[]) ?? []).entries()) {
    const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match) problem(["expose", index], `"${entry}" is not a port`);
    else add(Number(match[1]), (match[2] ?? "tcp") as "tcp" | "udp", undefined);
  }
  return { container, service: ports, published };
}

/** The parts of a short port ("[IP:][PUBLISHED[-LAST]:]TARGET[-LAST][/PROTO]", IPv6 in brackets), the IP last; undefined when it is not one. */
export function shortPort(text: string): (string | undefined)[] | undefined {
  const [spec, protocol, extra] = text.split("/");
  if (extra !== undefined || (protocol !== undefined && protocol !== "tcp" && protocol !== "udp")) return undefined;
  const host = /^(\[[0-9a-fA-F:.]+\]|\d{1,3}(\.\d{1,3}){3}):/.exec(spec)?.[1];
  const withoutHost = host ? spec.slice(host.length + 1) : spec;
  const parts = withoutHost.split(":");
  if (parts.length > 2) return undefined;
  const range = /^(\d+)(?:-(\d+))?$/;
  const target = range.exec(parts.at(-1)!);
  const published = parts.length === 2 && parts[0] !== "" ? range.exec(parts[0]) : undefined;
  if (!target || published === null) return undefined;
  return [text, published?.[1], published?.[2], target[1], target[2], protocol, host];
}

/** A `healthcheck` as a readiness and a liveness probe (the start period only delays the latter); none when absent or disabled. */
export function probeOf(value: unknown, problem: (key: string, message: string) => void): { readiness: object; liveness: object } | undefined {
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
  // Compose's defaults: every 30 s, 30 s to answer, 3 retries. Healthy at the first success, start period or not;
  // failures within the start period do not count toward a restart.
  const readiness = {
    exec: { command },
    periodSeconds: seconds("interval", 30),
    timeoutSeconds: seconds("timeout", 30),
    failureThreshold: typeof check.retries === "number" ? check.retries : 3,
  };
  const liveness = { ...readiness, ...(check.start_period === undefined ? {} : { initialDelaySeconds: seconds("start_period", 0) }) };
  return { readiness, liveness };
}

/** `restart` ("no", always, on-failure, unless-stopped) or deploy.restart_policy.condition (none, on-failure, any). */
export function restartPolicy(service: Service, problem: (path: (string | number)[], message: string) => void): string | undefined {
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
