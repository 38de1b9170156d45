import type { ContainerIdentity } from "./container-labels.js";
import type { LogLine, OutputStream } from "./log-lines.js";
import type { RegistryAuth } from "./keyed/registry-auth.js";
import type { ContainerSpec } from "../shared/domain.js";
import type { UsageSample } from "./usage/container-usage.js";

/** A container as the node sees it in its engine, with Cube's labels decoded. */
export interface ObservedContainer extends ContainerIdentity {
  id: string;
  name: string;
  state: "created" | "running" | "exited" | "other";
  exitCode?: number;
  /** The kernel killed it for lack of memory. */
  oomKilled?: boolean;
  /** Docker's own words when the container could not run (e.g. "exec: \"nope\": executable file not found"). */
  error?: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  image: string;
  /** The engine network it is on (a sandbox's: the pod's network), and its address there once it runs. */
  network?: string;
  podIp?: string;
  /** Its main process, as the engine's machine numbers it, while it runs. */
  pid?: number;
}

/** A bridge network of the engine for a node's pods: its subnet, the gateway (the host's end) and MTU. */
export interface PodNetworkSpec {
  name: string;
  subnet: string;
  gateway: string;
  mtu: number;
  labels: Record<string, string>;
}

export interface CreateContainerOptions {
  name: string;
  image: string;
  labels: Record<string, string>;
  env?: Record<string, string>;
  /** Replaces the image's entrypoint. */
  command?: string[];
  /** Replaces the image's cmd. */
  args?: string[];
  /** Joins the network namespace of this container (the pod's pause container). */
  networkOf?: string;
  /** The engine network to put it on (a sandbox: the node's pod network); the engine's default bridge when absent. */
  network?: string;
  /** The name servers and search domains its resolver uses. */
  dns?: { servers: string[]; search: string[] };
  hostname?: string;
  /** Ports published on the node (only the container that owns the network namespace can). */
  ports?: { containerPort: number; protocol: "tcp" | "udp"; hostIP: string; hostPort: number }[];
  /** Named volumes and host directories mounted in the container. */
  mounts?: { type: "volume" | "bind"; source: string; target: string; readOnly: boolean }[];
  /** Limits Docker enforces. */
  limits?: { cpuMillis?: number; memoryBytes?: number };
  /** What the container spec says of its process (see ContainerSpec). */
  process?: Pick<ContainerSpec, "user" | "workingDir" | "securityContext" | "stopSignal" | "init">;
}

export interface TerminalSize {
  rows: number;
  columns: number;
}

export interface LogOptions {
  follow: boolean;
  /** The last N lines only. */
  tail?: number;
  /** Lines from this time on (nanoseconds since the epoch). */
  sinceNs?: bigint;
  signal: AbortSignal;
}

export interface ExecOptions {
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** The terminal's size at the start (tty only). */
  size?: TerminalSize;
}

/** A command running in a container. */
export interface ExecProcess {
  /** Its output, in order; with a TTY everything is "stdout". */
  output: AsyncIterable<{ stream: OutputStream; data: Buffer }>;
  /** Writes to its stdin; false when the caller should wait for `drain` (backpressure). */
  write(data: Buffer): boolean;
  onDrain(listener: () => void): void;
  /** Ends its stdin (a half-close: its output still flows). */
  endInput(): void;
  resize(size: TerminalSize): Promise<void>;
  /** Once the output has ended: the exit code, or why the command could not start. */
  result(): Promise<{ exitCode: number; startError?: string }>;
  /** Ends the process if it still runs (its caller went away). */
  kill(): Promise<void>;
}

/** What the node agent needs of a container engine: Docker in production, an in-memory fake in tests. */
export interface ContainerRuntime {
  /** Every container (running or not) labelled as belonging to `node` (see container-labels). */
  listContainers(node: string): Promise<ObservedContainer[]>;
  hasImage(image: string): Promise<boolean>;
  /** Pulls an image, with a registry's credentials when given (for this pull only); rejects with the engine's own error text. */
  pullImage(image: string, auth?: RegistryAuth): Promise<void>;
  /** Makes the pause image available (importing it when missing); returns its reference. */
  ensurePauseImage(): Promise<string>;
  createContainer(options: CreateContainerOptions): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Renames a container (how a warm sandbox is claimed: labels cannot change). */
  renameContainer(id: string, name: string): Promise<void>;
  /** Sends the stop signal, then SIGKILL after `graceSeconds`; a container already stopped is fine. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Removes a container, killing it if it still runs; a container already gone is fine. */
  removeContainer(id: string): Promise<void>;
  /** A container's log lines, in order, with Docker's timestamps; with `follow`, until the container stops. */
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  exec(id: string, options: ExecOptions): Promise<ExecProcess>;
  /** What the engine's machine has, and the engine's own id (nodes on one engine share its host ports). */
  capacity(): Promise<{ cpuMillis: number; memoryBytes: number; engineId: string }>;
  /** Creates a named volume unless it exists. */
  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a named volume; one already gone is fine. */
  removeVolume(name: string): Promise<void>;
  /**
   * Makes the pod network as `spec` says, unless it is so already; one that differs is removed first, with the
   * containers on it (their pods start again on the new one). Resolves with the host's bridge device that carries it.
   */
  ensureNetwork(spec: PodNetworkSpec): Promise<{ bridge: string }>;
  /** Removes a network; one already gone is fine. */
  removeNetwork(name: string): Promise<void>;
  /** One reading of each running container's CPU time and memory, by id; a container that cannot be read is left out. */
  sampleUsage(containers: Pick<ObservedContainer, "id" | "pid">[]): Promise<Map<string, UsageSample>>;
  /** A running container's address on the engine's network (the pod's, for its sandbox); undefined when it has none. */
  addressOf(id: string): Promise<string | undefined>;
}

/** The engine's own words for a failure (dockerode puts them in `json.message`, behind its "(HTTP code 404) ..." prefix). */
export function runtimeErrorMessage(error: unknown): string {
  const { json, message } = error as { json?: { message?: string }; message?: string };
  return json?.message ?? message ?? String(error);
}

/** Whether an engine call failed with one of these HTTP statuses (dockerode's `statusCode`). */
export function isStatus(error: unknown, ...codes: number[]): boolean {
  return codes.includes((error as { statusCode?: number }).statusCode ?? 0);
}
