import { hostname, homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FollowerConfig } from "../agent/start-follower.js";
import type { LeaderConfig } from "../leader/start-leader.js";
import type { WarmPoolSize } from "../agent/warm-pool-demand.js";
import { parseHostPort } from "../shared/host-port.js";
import { parseJoinToken } from "../shared/tls/join-token.js";
import { DEFAULT_POD_CIDR } from "../leader/allocate-subnet.js";
import { DEFAULT_SERVICE_CIDR } from "../leader/service-addresses.js";
import {
  yesNo,
  wholeNumberFlag,
  labelFlags,
  placementFlag,
  portRangeFlag,
  percentFlag,
  certificateLifetimeFlag,
  durationFlag,
  secretFlag,
  checkSecretLength,
  podCidrFlag,
  serviceCidrFlag,
  podNetworkFlag,
  storeFlag,
  UsageError,
} from "./flag-values.js";

export { UsageError };

export type ServerCommand =
  { mode: "leader"; config: LeaderConfig; warnings: string[] } | { mode: "follower"; config: FollowerConfig; warnings: string[] } | { mode: "help" };

/** A mistake in the command line: reported in one line, with a pointer to --help. */

interface FlagSpec {
  env: string;
  help: string;
  default?: () => string;
  required?: boolean;
  /** A switch: given alone, it means yes. */
  switch?: true;
  /** Repeatable; the environment variable holds a comma-separated list. */
  multiple?: true;
}

const common: Record<string, FlagSpec> = {
  token: {
    env: "CUBE_TOKEN",
    help: "join token (at least 16 characters; better in a file or the environment: a command line is seen by every local user); on a follower, plain or the leader's full token (CUBE1-…); a leader without one makes one",
  },
  "token-file": { env: "CUBE_TOKEN_FILE", help: "read the token from this file (e.g. the leader's DATA_DIR/join-token)" },
  "insecure-short-token": {
    env: "CUBE_INSECURE_SHORT_TOKEN",
    help: "accept a token or password under 16 characters: a captured first contact lets one be guessed offline",
    default: () => "no",
    switch: true,
  },
  "data-dir": { env: "CUBE_DATA_DIR", help: "where this server keeps its SQLite databases", default: () => join(homedir(), ".cube", "data") },
  name: { env: "CUBE_NAME", help: "node name, unique in the cluster", default: () => hostname().toLowerCase() },
  "restart-backoff": { env: "CUBE_RESTART_BACKOFF", help: "first delay before restarting a failed container (doubles each time)", default: () => "1s" },
  "restart-backoff-max": { env: "CUBE_RESTART_BACKOFF_MAX", help: "longest delay between restarts", default: () => "30s" },
  "restart-reset-after": { env: "CUBE_RESTART_RESET_AFTER", help: "a container that ran this long starts a fresh failure count", default: () => "60s" },
  "restart-max-failures": { env: "CUBE_RESTART_MAX_FAILURES", help: "consecutive failures after which the pod is Failed", default: () => "5" },
  "warm-sandboxes": {
    env: "CUBE_WARM_SANDBOXES",
    help: "sandboxes kept started ahead of need, so that a pod without host ports starts at once (0: none, and those kept go)",
    default: () => "3",
  },
  "warm-sandboxes-max": {
    env: "CUBE_WARM_SANDBOXES_MAX",
    help: "how many warm sandboxes the node may keep after a burst of pods took more than --warm-sandboxes (for 10 minutes)",
    default: () => "16",
  },
  "usage-interval": {
    env: "CUBE_USAGE_INTERVAL",
    help: "how often the node measures its pods' CPU and memory (cube top): one pass over its running containers",
    default: () => "10s",
  },
  "metrics-listen": {
    env: "CUBE_METRICS_LISTEN",
    help: "HOST:PORT to serve Prometheus metrics on, in plain HTTP without a credential (loopback by default: put a scraper on this machine, or an address your network protects); off: none",
    default: () => "127.0.0.1:9442",
  },
  label: { env: "CUBE_LABELS", help: "a label of this node, KEY=VALUE (repeatable), which pods select with nodeSelector", multiple: true },
};

const modes: Record<"leader" | "follower", Record<string, FlagSpec>> = {
  leader: {
    ...common,
    listen: { env: "CUBE_LISTEN", help: "HOST:PORT to serve the CLI and the nodes on", default: () => "0.0.0.0:4242" },
    "admin-password": {
      env: "CUBE_ADMIN_PASSWORD",
      help: "password of the admin API (the CLI's); by default one is made on the first start and kept in DATA_DIR/admin-config.json",
    },
    "admin-password-file": { env: "CUBE_ADMIN_PASSWORD_FILE", help: "read the admin password from this file" },
    "web-listen": {
      env: "CUBE_WEB_LISTEN",
      help: "HOST:PORT to serve the web view on (HTTPS with the leader's certificate, behind the admin password); off: none",
      default: () => "0.0.0.0:4280",
    },
    "tls-san": { env: "CUBE_TLS_SAN", help: "extra host names or addresses for the leader's certificate, comma-separated (a NAT or DNS name)" },
    "cert-lifetime": { env: "CUBE_CERT_LIFETIME", help: "lifetime of the certificates the leader issues; they renew at 50–80 % of it", default: () => "30d" },
    "heartbeat-grace": { env: "CUBE_HEARTBEAT_GRACE", help: "a node silent this long is NotReady", default: () => "15s" },
    "reschedule-delay": { env: "CUBE_RESCHEDULE_DELAY", help: "pods of a node NotReady this much longer move to other nodes", default: () => "10s" },
    "pods-on-leader": { env: "CUBE_PODS_ON_LEADER", help: "whether the leader's own node runs pods (yes or no)", default: () => "yes" },
    placement: { env: "CUBE_PLACEMENT", help: "spread (the least allocated node) or binpack (the most allocated that fits)", default: () => "spread" },
    "host-port-range": { env: "CUBE_HOST_PORT_RANGE", help: 'where "auto" host ports are taken from', default: () => "30000-32767" },
    "pod-cidr": { env: "CUBE_POD_CIDR", help: "the pods' addresses: each node is given a /24 of it when it first joins", default: () => DEFAULT_POD_CIDR },
    "service-cidr": { env: "CUBE_SERVICE_CIDR", help: "services' virtual IPs: each service is given one for its life", default: () => DEFAULT_SERVICE_CIDR },
    "pod-network": {
      env: "CUBE_POD_NETWORK",
      help: "how nodes carry pod traffic: vxlan (over any IP network; UDP 8472 between nodes) or host-gw (direct routes: nodes on one link)",
      default: () => "vxlan",
    },
    "max-events-per-pod": { env: "CUBE_MAX_EVENTS_PER_POD", help: "events kept per pod (repeats count as one); the oldest go first", default: () => "300" },
    "allow-host-network": {
      env: "CUBE_ALLOW_HOST_NETWORK",
      help: "accept pods with hostNetwork (such a pod listens on the node's addresses and sees its traffic)",
      default: () => "no",
      switch: true,
    },
    "allow-capabilities": {
      env: "CUBE_ALLOW_CAPABILITIES",
      help: "accept containers that add Linux capabilities beyond Docker's default set (NET_ADMIN, SYS_ADMIN: power over the node)",
      default: () => "no",
      switch: true,
    },
    "allow-privileged-node-ports": {
      env: "CUBE_ALLOW_PRIVILEGED_NODE_PORTS",
      help: "accept node ports below 1024 named by services (such a port answers on every node instead of its own ssh, dns or web server)",
      default: () => "no",
      switch: true,
    },
    "allow-host-paths": {
      env: "CUBE_ALLOW_HOST_PATHS",
      help: "accept hostPath volumes (a pod with one can read and write the node's files as root)",
      default: () => "no",
      switch: true,
    },
    "approve-nodes": {
      env: "CUBE_APPROVE_NODES",
      help: "a new node waits for an admin's approval (cube node approve NAME) before it may join; nodes already joined go on",
      default: () => "no",
      switch: true,
    },
    store: {
      env: "CUBE_STORE",
      help: "where the cluster's state is kept: by default SQLite in DATA_DIR; postgres://USER:PASSWORD@HOST:PORT/DB for several leaders on one database (one active, the others standing by)",
    },
    "store-file": { env: "CUBE_STORE_FILE", help: "read --store from this file (its URL holds a password)" },
    leader: {
      env: "CUBE_LEADER",
      help: "with --store postgres://…: HOST:PORT of every leader, comma-separated; while this one stands by, its node follows the active one",
    },
    "disruption-threshold": {
      env: "CUBE_DISRUPTION_THRESHOLD",
      help: "with this share of the followers NotReady at once (and at least 2), the leader moves no pod: its own network is the likelier fault",
      default: () => "55%",
    },
  },
  follower: {
    ...common,
    leader: {
      env: "CUBE_LEADER",
      help: "HOST:PORT of the leader, or of each leader, comma-separated: the node joins the one that answers, and moves to the next when it goes",
      required: true,
    },
    listen: { env: "CUBE_LISTEN", help: "HOST:PORT to serve the leader's requests on", default: () => "0.0.0.0:4243" },
    advertise: { env: "CUBE_ADVERTISE", help: "HOST:PORT the leader reaches this node at (default: the listen address)" },
  },
};

export function serverUsage(): string {
  const describe = (flags: Record<string, FlagSpec>) =>
    Object.entries(flags)
      .map(([flag, spec]) => `  --${flag.padEnd(20)} ${spec.help} [$${spec.env}]${spec.default ? ` (default: ${spec.default()})` : ""}`)
      .join("\n");
  return [
    "usage: cube-server leader [--token-file F] [--admin-password-file F] [--listen HOST:PORT] [--data-dir DIR] [--name NAME] [--tls-san NAMES]",
    "                          [--cert-lifetime 30d] [--heartbeat-grace 15s] [--reschedule-delay 10s] [--disruption-threshold 55%] [--pods-on-leader yes|no]",
    "                          [--placement spread|binpack] [--host-port-range 30000-32767] [--pod-cidr 10.42.0.0/16] [--service-cidr 10.43.0.0/16] [--pod-network vxlan|host-gw] [--approve-nodes]",
    "                          [--allow-host-paths] [--allow-host-network] [--allow-capabilities] [--allow-privileged-node-ports] [--label KEY=VALUE]...",
    "                          [--store-file F --leader HOST:PORT,HOST:PORT...]",
    "       cube-server follower --leader HOST:PORT[,HOST:PORT...] --token-file F [--listen HOST:PORT] [--advertise HOST:PORT] [--data-dir DIR] [--name NAME]",
    "                          [--label KEY=VALUE]...",
    "",
    "leader flags:",
    describe(modes.leader),
    "",
    "follower flags:",
    describe(modes.follower),
    "",
  ].join("\n");
}

/** Flags first, then environment variables, then defaults. */
export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv): ServerCommand {
  const [mode, ...rest] = argv;
  if (mode === undefined || mode === "--help" || mode === "-h" || mode === "help") return { mode: "help" };
  if (mode !== "leader" && mode !== "follower") {
    throw new UsageError(`unknown mode "${mode}": use "cube-server leader" or "cube-server follower"`);
  }
  const specs = modes[mode];
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        ...Object.fromEntries(
          Object.entries(specs).map(([flag, spec]) => [
            flag,
            { type: spec.switch ? ("boolean" as const) : ("string" as const), multiple: spec.multiple === true },
          ]),
        ),
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  if (parsed.values.help) return { mode: "help" };
  const value = (flag: string): string | undefined => {
    const spec = specs[flag];
    const raw = (parsed.values as Record<string, string | boolean | undefined>)[flag];
    const given = (raw === true ? "yes" : raw === false ? undefined : raw) ?? env[spec.env] ?? spec.default?.();
    if (given === undefined || given === "") {
      if (spec.required) throw new UsageError(`--${flag} is required (or set ${spec.env})`);
      return undefined;
    }
    return given;
  };
  const required = (flag: string) => value(flag) as string;
  /** A repeatable flag's values, or its environment variable's comma-separated ones. */
  const values = (flag: string): string[] => {
    const given = (parsed.values as Record<string, string[] | undefined>)[flag];
    if (given && given.length > 0) return given;
    return (env[specs[flag].env] ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  };
  const hostPort = (flag: string) => {
    const given = value(flag);
    try {
      return given === undefined ? undefined : parseHostPort(given, `--${flag}`);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };

  const seconds = (flag: string) => durationFlag(required(flag), flag) / 1000;
  const maxFailures = wholeNumberFlag(required("restart-max-failures"), "restart-max-failures");
  const restart = {
    initialBackoffSeconds: seconds("restart-backoff"),
    maxBackoffSeconds: seconds("restart-backoff-max"),
    resetAfterSeconds: seconds("restart-reset-after"),
    maxFailures,
  };
  const allowShort = yesNo(required("insecure-short-token"), "insecure-short-token");
  const warnings: string[] = [];
  /** A secret, checked; said to be seen by every local user when it is on the command line. */
  const secret = (flag: string) => {
    const given = secretFlag(flag, value(flag), value(`${flag}-file`));
    if (given === undefined) return undefined;
    if ((parsed.values as Record<string, unknown>)[flag] !== undefined) {
      warnings.push(`--${flag} is on the command line, where every local user can read it (ps, /proc/PID/cmdline): use --${flag}-file or $${specs[flag].env}`);
    }
    checkSecretLength(flag === "token" ? parseJoinToken(given).secret : given, `--${flag}`, allowShort);
    return given;
  };
  const token = secret("token");
  const dataDir = required("data-dir");
  const name = required("name");
  const labels = labelFlags(values("label"));
  const usageIntervalMs = durationFlag(required("usage-interval"), "usage-interval");
  const given = (flag: string) => (parsed.values as Record<string, unknown>)[flag] !== undefined || env[specs[flag].env] !== undefined;
  const warmSandboxes = warmPoolSize(
    wholeNumberFlag(required("warm-sandboxes"), "warm-sandboxes", 0),
    wholeNumberFlag(required("warm-sandboxes-max"), "warm-sandboxes-max", 0),
    given("warm-sandboxes-max"),
  );
  /** An address for something served besides the API, or none ("off"). */
  const endpoint = (flag: string) => (required(flag) === "off" ? undefined : { listen: hostPort(flag)!, given: given(flag) });
  const metrics = endpoint("metrics-listen");
  /** A comma-separated list of leaders' addresses. */
  const leaderList = (flag: string) =>
    value(flag)
      ?.split(",")
      .map((part) => {
        try {
          return parseHostPort(part.trim(), `--${flag}`);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      });
  if (mode === "leader") {
    const store = storeFlag(value("store"), value("store-file"), (parsed.values as Record<string, unknown>).store !== undefined, warnings);
    const leaders = leaderList("leader");
    if (leaders && !store) throw new UsageError("--leader is for leaders sharing a --store postgres://… (a single leader needs none)");
    return {
      mode,
      warnings,
      config: {
        token,
        adminPassword: secret("admin-password"),
        tlsSans: (value("tls-san") ?? "")
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name !== ""),
        certificateLifetimeMs: certificateLifetimeFlag(required("cert-lifetime")),
        dataDir,
        name,
        restart,
        warmSandboxes,
        usageIntervalMs,
        metrics,
        web: endpoint("web-listen"),
        listen: hostPort("listen")!,
        heartbeatGraceMs: durationFlag(required("heartbeat-grace"), "heartbeat-grace"),
        rescheduleDelayMs: durationFlag(required("reschedule-delay"), "reschedule-delay"),
        disruptionThreshold: percentFlag(required("disruption-threshold"), "disruption-threshold"),
        podsOnLeader: yesNo(required("pods-on-leader"), "pods-on-leader"),
        labels,
        placement: { policy: placementFlag(required("placement")), hostPortRange: portRangeFlag(required("host-port-range")) },
        allowHostPaths: yesNo(required("allow-host-paths"), "allow-host-paths"),
        allowHostNetwork: yesNo(required("allow-host-network"), "allow-host-network"),
        allowCapabilities: yesNo(required("allow-capabilities"), "allow-capabilities"),
        allowPrivilegedNodePorts: yesNo(required("allow-privileged-node-ports"), "allow-privileged-node-ports"),
        podCidr: podCidrFlag(required("pod-cidr")),
        serviceCidr: serviceCidrFlag(required("service-cidr"), required("pod-cidr")),
        podNetwork: podNetworkFlag(required("pod-network")),
        approveNodes: yesNo(required("approve-nodes"), "approve-nodes"),
        maxEventsPerPod: wholeNumberFlag(required("max-events-per-pod"), "max-events-per-pod"),
        ...(store ? { store, leaders: leaders ?? [] } : {}),
      },
    };
  }
  if (token === undefined) throw new UsageError("--token-file is required (or set CUBE_TOKEN): the leader's full join token is in its DATA_DIR/join-token");
  return {
    mode,
    warnings,
    config: {
      token,
      dataDir,
      name,
      restart,
      warmSandboxes,
      usageIntervalMs,
      metrics,
      labels,
      leaders: leaderList("leader")!,
      listen: hostPort("listen")!,
      advertise: hostPort("advertise"),
    },
  };
}

/**
 * The pool's size from its two flags: the maximum defaults to at least the minimum, and to none with `--warm-sandboxes
 * 0` (no warm sandbox at all), unless given.
 */
function warmPoolSize(least: number, most: number, mostGiven: boolean): WarmPoolSize {
  if (!mostGiven) return { least, most: least === 0 ? 0 : Math.max(least, most) };
  if (most < least) throw new UsageError(`--warm-sandboxes-max (${most}) is below --warm-sandboxes (${least})`);
  return { least, most };
}
