import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../../shared/clock.js";
import { belongsTo, readContainerIdentity } from "../container-labels.js";
import type {
  ContainerRuntime,
  CreateContainerOptions,
  ExecOptions,
  ExecProcess,
  LogOptions,
  ObservedContainer,
  PodNetworkSpec,
} from "../container-runtime.js";
import { addressIn, parseCidr } from "../../shared/cidr.js";
import type { LogLine, OutputStream } from "../log-lines.js";
import { PAUSE_IMAGE } from "../pause-image.js";
import type { UsageSample } from "../usage/container-usage.js";

type Method = "listContainers" | "pullImage" | "createContainer" | "startContainer" | "renameContainer" | "stopContainer" | "removeContainer";

interface FakeContainer {
  id: string;
  options: CreateContainerOptions;
  state: ObservedContainer["state"];
  exitCode?: number;
  error?: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Its address on its network, given at its first start. */
  podIp?: string;
}

/**
 * An in-memory container engine: it records every call, lets a test script container exits and inject errors, and
 * behaves as Docker does where the agent depends on it (a missing image cannot be created from, a stopped container
 * stays listed until removed). It also stands in for Docker in the scale benchmark's simulated nodes.
 */
export class FakeRuntime implements ContainerRuntime {
  /** Every mutating call, in order, e.g. "create cube_n_web_app_1a2b3c", "stop <id> 10". */
  readonly calls: string[] = [];
  readonly images = new Set<string>();
  /** Images a pull finds, and the engine's error text for the others. */
  readonly registry = new Map<string, string | undefined>();
  private readonly containers = new Map<string, FakeContainer>();
  /** Scripted outcomes of the next calls, per method: an error to throw, or undefined for a call that works. */
  private readonly injected = new Map<Method, (Error | undefined)[]>();
  private readonly holds: { method: Method; skipping: number; gate: Promise<void> }[] = [];
  private waiting = 0;
  private readonly logLines = new Map<string, LogLine[]>();
  /** Containers whose main process ignores SIGTERM (a bare `sleep` as PID 1): a stop kills them after its grace period. */
  private readonly ignoringTerm = new Set<string>();
  /** What an exec does: by default it prints nothing and exits with 0. */
  execHandler: (id: string, options: ExecOptions, stdin: Buffer) => { output: { stream: OutputStream; data: Buffer }[]; exitCode: number } = () => ({
    output: [],
    exitCode: 0,
  });

  /** What the fake machine has, as the node reports it when it joins. */
  capacityOf = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, engineId: `fake-${randomBytes(6).toString("hex")}` };
  /** Named volumes, by name, with their labels. */
  readonly volumes = new Map<string, Record<string, string>>();
  /** Networks, by name, with the addresses given so far on each. */
  readonly networks = new Map<string, { spec: PodNetworkSpec; given: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** The next call of `method` (after those already scripted) fails with `message`. */
  failNext(method: Method, message: string): void {
    this.injected.set(method, [...(this.injected.get(method) ?? []), new Error(message)]);
  }

  /**
   * The call of `method` after `skipping` more calls waits until the returned function is called. A listing reads the
   * containers first and then waits, so what it returns is out of date by then, as a real engine's answer can be.
   */
  hold(method: Method, skipping = 0): () => void {
    let release!: () => void;
    this.holds.push({ method, skipping, gate: new Promise<void>((resolve) => (release = resolve)) });
    return release;
  }

  /** How many calls wait at a hold now. */
  holdsWaiting(): number {
    return this.waiting;
  }

  /** The next call of `method` (after those already scripted) works: for a failure scripted further on. */
  passNext(method: Method): void {
    this.injected.set(method, [...(this.injected.get(method) ?? []), undefined]);
  }

  /** The container's main process ignores SIGTERM from now on: a stop waits its whole grace period, then kills it. */
  ignoreTerm(id: string): void {
    this.mustGet(id);
    this.ignoringTerm.add(id);
  }

  /** A running container's main process ends with `exitCode`. */
  exit(id: string, exitCode: number): void {
    const container = this.mustGet(id);
    Object.assign(container, { state: "exited", exitCode, finishedAt: new Date(this.clock.now()) });
  }

  /** A container prints a line, now. */
  print(id: string, stream: OutputStream, text: string): void {
    const line = { stream, timestampNs: BigInt(this.clock.now()) * 1_000_000n, data: Buffer.from(text) };
    this.logLines.set(id, [...(this.logLines.get(id) ?? []), line]);
  }

  /** The containers currently held, with the options they were created with. */
  all(): (FakeContainer & { labels: Record<string, string> })[] {
    return [...this.containers.values()].map((c) => ({ ...c, labels: c.options.labels }));
  }

  async listContainers(node: string): Promise<ObservedContainer[]> {
    this.maybeFail("listContainers");
    const listed = [...this.containers.values()]
      .filter((c) => belongsTo(c.options.labels, node))
      .map((c) => ({
        id: c.id,
        name: c.options.name,
        ...readContainerIdentity(c.options.labels, c.options.name),
        state: c.state,
        exitCode: c.exitCode,
        error: c.error,
        createdAt: c.createdAt,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
        image: c.options.image,
        network: c.options.networkOf ? `container:${c.options.networkOf}` : (c.options.network ?? "default"),
        podIp: c.state === "running" ? c.podIp : undefined,
      }));
    await this.held("listContainers");
    return listed;
  }

  async hasImage(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  async pullImage(image: string): Promise<void> {
    this.calls.push(`pull ${image}`);
    this.maybeFail("pullImage");
    if (!this.registry.has(image)) throw new Error(`pull access denied for ${image}, repository does not exist or may require 'docker login'`);
    const error = this.registry.get(image);
    if (error) throw new Error(error);
    this.images.add(image);
  }

  async ensurePauseImage(): Promise<string> {
    this.images.add(PAUSE_IMAGE);
    return PAUSE_IMAGE;
  }

  async createContainer(options: CreateContainerOptions): Promise<string> {
    this.calls.push(`create ${options.name}`);
    await this.held("createContainer");
    this.maybeFail("createContainer");
    if (!this.images.has(options.image)) throw new Error(`No such image: ${options.image}`);
    if ([...this.containers.values()].some((c) => c.options.name === options.name))
      throw new Error(`Conflict. The container name "/${options.name}" is already in use`);
    const id = randomBytes(32).toString("hex");
    this.containers.set(id, { id, options, state: "created", createdAt: new Date(this.clock.now()) });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    await this.held("startContainer");
    this.maybeFail("startContainer");
    const container = this.mustGet(id);
    const network = container.options.networkOf && this.containers.get(container.options.networkOf);
    if (container.options.networkOf && network && network.state !== "running") {
      throw new Error(`cannot join network of a non running container: ${container.options.networkOf}`);
    }
    Object.assign(container, { state: "running", startedAt: new Date(this.clock.now()), exitCode: undefined, finishedAt: undefined });
    const onNetwork = container.options.network && this.networks.get(container.options.network);
    if (onNetwork && !container.podIp) container.podIp = addressIn(parseCidr(onNetwork.spec.subnet)!, 2 + onNetwork.given++);
  }

  async renameContainer(id: string, name: string): Promise<void> {
    this.calls.push(`rename ${id} ${name}`);
    await this.held("renameContainer");
    this.maybeFail("renameContainer");
    if ([...this.containers.values()].some((c) => c.options.name === name)) throw new Error(`Conflict. The container name "/${name}" is already in use`);
    const container = this.mustGet(id);
    container.options = { ...container.options, name };
  }

  /** As Docker's stop: SIGTERM (exit 143), or, for a container that ignores it, SIGKILL once the grace period is over (137). */
  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.calls.push(`stop ${id} ${graceSeconds}`);
    await this.held("stopContainer");
    this.maybeFail("stopContainer");
    if (this.containers.get(id)?.state !== "running") return;
    if (!this.ignoringTerm.has(id)) return this.exit(id, 143);
    await this.clock.sleep(graceSeconds * 1000);
    if (this.containers.get(id)?.state === "running") this.exit(id, 137);
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    await this.held("removeContainer");
    this.maybeFail("removeContainer");
    this.containers.delete(id);
  }

  async ensureNetwork(spec: PodNetworkSpec): Promise<{ bridge: string }> {
    const bridge = { bridge: `br-${spec.name}`.slice(0, 15) };
    const existing = this.networks.get(spec.name);
    if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return bridge;
    if (existing) {
      for (const container of this.containers.values()) if (container.options.network === spec.name) await this.removeContainer(container.id);
    }
    this.calls.push(`create network ${spec.name} ${spec.subnet}`);
    this.networks.set(spec.name, { spec, given: 0 });
    return bridge;
  }

  async removeNetwork(name: string): Promise<void> {
    if (this.networks.delete(name)) this.calls.push(`remove network ${name}`);
  }

  /**
   * What each running container uses, by its spec container's name: a steady CPU rate in millicores and a memory
   * figure (none: nothing). Readings count the CPU time from the container's start at that rate, on the fake's clock.
   */
  usageOf: (containerName: string | undefined) => { cpuMillis: number; memoryBytes: number } | undefined = () => undefined;

  async sampleUsage(containers: Pick<ObservedContainer, "id">[]): Promise<Map<string, UsageSample>> {
    const samples = new Map<string, UsageSample>();
    const atMs = this.clock.now();
    for (const { id } of containers) {
      const container = this.containers.get(id);
      if (container?.state !== "running" || !container.startedAt) continue;
      const usage = this.usageOf(readContainerIdentity(container.options.labels, container.options.name).containerName) ?? { cpuMillis: 0, memoryBytes: 0 };
      samples.set(id, { cpuNanos: usage.cpuMillis * 1000 * (atMs - container.startedAt.getTime()), memoryBytes: usage.memoryBytes, atMs });
    }
    return samples;
  }

  async addressOf(id: string): Promise<string | undefined> {
    return this.containers.get(id)?.state === "running" ? "127.0.0.1" : undefined;
  }

  async capacity(): Promise<{ cpuMillis: number; memoryBytes: number; engineId: string }> {
    return this.capacityOf;
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    if (this.volumes.has(name)) return;
    this.calls.push(`create volume ${name}`);
    this.volumes.set(name, labels);
  }

  async removeVolume(name: string): Promise<void> {
    if (this.volumes.delete(name)) this.calls.push(`remove volume ${name}`);
  }

  private mustGet(id: string): FakeContainer {
    const container = this.containers.get(id);
    if (!container) throw new Error(`No such container: ${id}`);
    return container;
  }

  private async held(method: Method): Promise<void> {
    for (const hold of this.holds.filter((h) => h.method === method)) {
      if (hold.skipping-- > 0) continue;
      this.holds.splice(this.holds.indexOf(hold), 1);
      this.waiting++;
      await hold.gate;
      this.waiting--;
    }
  }

  private maybeFail(method: Method): void {
    const error = this.injected.get(method)?.shift();
    if (error) throw error;
  }

  async *logs(id: string, options: LogOptions): AsyncGenerator<LogLine> {
    this.mustGet(id);
    const lines = (this.logLines.get(id) ?? []).filter((line) => options.sinceNs === undefined || line.timestampNs >= options.sinceNs);
    yield* options.tail === undefined ? lines : lines.slice(-options.tail);
  }

  /** Runs `execHandler` once stdin has ended (at once without stdin). */
  async exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    this.calls.push(`exec ${id} ${options.command.join(" ")}`);
    if (this.mustGet(id).state !== "running") throw new Error(`Container ${id} is not running`);
    const input: Buffer[] = [];
    let endInput!: () => void;
    const inputEnded = options.stdin ? new Promise<void>((resolve) => (endInput = resolve)) : Promise.resolve();
    const ran = inputEnded.then(() => this.execHandler(id, options, Buffer.concat(input)));
    return {
      output: (async function* () {
        yield* (await ran).output;
      })(),
      write: (data) => input.push(data) > 0,
      onDrain: () => {},
      endInput: () => endInput?.(),
      resize: async () => {},
      result: async () => ({ exitCode: (await ran).exitCode }),
      kill: async () => endInput?.(),
    };
  }
}
