import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import Docker from "dockerode";
import { nodeLabelFilter, readContainerIdentity } from "./container-labels.js";
import { ensureDockerNetwork, removeDockerNetwork } from "./docker-networks.js";
import {
  isStatus,
  runtimeErrorMessage,
  type ContainerRuntime,
  type CreateContainerOptions,
  type ExecOptions,
  type ExecProcess,
  type LogOptions,
  type ObservedContainer,
  type PodNetworkSpec,
} from "./container-runtime.js";
import { startExec } from "./docker-exec.js";
import { DockerUsage } from "./usage/docker-usage.js";
import type { UsageSample } from "./usage/container-usage.js";
import type { RegistryAuth } from "./keyed/registry-auth.js";
import { demultiplex, timestampedLines, type LogLine } from "./log-lines.js";
import { PAUSE_IMAGE, pauseProgram, singleFileTar } from "./pause-image.js";

const DOCKER_ZERO_TIME = "0001-01-01T00:00:00Z";

function dockerTime(value: string | undefined): Date | undefined {
  return value && value !== DOCKER_ZERO_TIME ? new Date(value) : undefined;
}

/** The Docker Engine, through dockerode. */
export class DockerRuntime implements ContainerRuntime {
  /** Inspections by container id, kept while the container's state is unchanged (inspecting is the costly call). */
  private readonly inspections = new Map<string, { state: string; info: Docker.ContainerInspectInfo }>();
  /**
   * The containers this runtime is starting. The engine holds a container's lock for its whole start (network set up,
   * process run), and an inspection waits for that lock: in a burst, one listing would wait for every start under way.
   * By id, the time the start was asked.
   */
  private readonly starting = new Map<string, Date>();

  private readonly usage: DockerUsage;

  constructor(private readonly docker = new Docker()) {
    this.usage = new DockerUsage(docker);
  }

  async listContainers(node: string): Promise<ObservedContainer[]> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: [nodeLabelFilter(node)] } });
    const seen = new Set(listed.map((c) => c.Id));
    for (const id of this.inspections.keys()) if (!seen.has(id)) this.inspections.delete(id);
    const observed = await Promise.all(
      listed.map(async (summary) => {
        const name = (summary.Names[0] ?? "").replace(/^\//, "");
        const identity = { id: summary.Id, name, ...readContainerIdentity(summary.Labels, name) };
        // Seen as not started yet until its start returns; the next listing inspects it. A listing gives the creation
        // time to the second only; the start was asked after it, and before any newer instance: it orders them right.
        const startAskedAt = this.starting.get(summary.Id);
        if (startAskedAt) return { ...identity, state: "created", createdAt: startAskedAt, image: summary.Image } satisfies ObservedContainer;
        const info = await this.inspect(summary.Id, summary.State);
        if (!info) return undefined;
        const state = info.State.Status;
        return {
          ...identity,
          state: state === "created" || state === "running" || state === "exited" ? state : "other",
          exitCode: state === "exited" ? info.State.ExitCode : undefined,
          oomKilled: info.State.OOMKilled || undefined,
          error: info.State.Error || undefined,
          createdAt: new Date(info.Created),
          startedAt: dockerTime(info.State.StartedAt),
          finishedAt: dockerTime(info.State.FinishedAt),
          image: info.Config.Image,
          network: info.HostConfig?.NetworkMode,
          podIp: info.NetworkSettings?.Networks?.[info.HostConfig?.NetworkMode ?? ""]?.IPAddress || undefined,
          pid: state === "running" ? info.State.Pid || undefined : undefined,
        } satisfies ObservedContainer;
      }),
    );
    return observed.filter((c) => c !== undefined);
  }

  private async inspect(id: string, state: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const cached = this.inspections.get(id);
    // A container's details change only with its state: Cube never restarts a container in place.
    if (cached?.state === state) return cached.info;
    try {
      const info = await this.docker.getContainer(id).inspect();
      this.inspections.set(id, { state, info });
      return info;
    } catch (error) {
      if (isStatus(error, 404)) return undefined; // removed between list and inspect
      throw error;
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async pullImage(image: string, auth?: RegistryAuth): Promise<void> {
    const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
        const failure = error?.message ?? output.find((line) => line.error)?.error;
        if (failure) reject(new Error(failure));
        else resolve();
      });
    }).catch((error: unknown) => {
      throw new Error(runtimeErrorMessage(error));
    });
  }

  /** Set once the pause image is known to exist: each new pod then saves a round trip to the engine. */
  private pauseImageReady = false;

  async ensurePauseImage(): Promise<string> {
    if (this.pauseImageReady || (await this.hasImage(PAUSE_IMAGE))) {
      this.pauseImageReady = true;
      return PAUSE_IMAGE;
    }
    const { Architecture } = await this.docker.info();
    const [repo, tag] = PAUSE_IMAGE.split(":");
    const tar = singleFileTar("pause", pauseProgram(Architecture));
    const stream = await this.docker.importImage(Readable.from(tar) as unknown as string, { repo, tag, changes: ['ENTRYPOINT ["/pause"]'] } as object);
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
    this.pauseImageReady = true;
    return PAUSE_IMAGE;
  }

  async createContainer(options: CreateContainerOptions): Promise<string> {
    const spec = {
      name: options.name,
      Image: options.image,
      Labels: options.labels,
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      ...(options.command ? { Entrypoint: options.command } : {}),
      ...(options.args ? { Cmd: options.args } : {}),
      ...(options.hostname ? { Hostname: options.hostname } : {}),
      ...(options.process?.user ? { User: options.process.user } : {}),
      ...(options.process?.workingDir ? { WorkingDir: options.process.workingDir } : {}),
      ...(options.process?.stopSignal ? { StopSignal: options.process.stopSignal } : {}),
      ...(options.ports?.length ? { ExposedPorts: Object.fromEntries(options.ports.map((p) => [`${p.containerPort}/${p.protocol}`, {}])) } : {}),
      HostConfig: {
        ...(options.networkOf ? { NetworkMode: `container:${options.networkOf}` } : {}),
        ...(options.network ? { NetworkMode: options.network } : {}),
        ...(options.dns ? { Dns: options.dns.servers, DnsSearch: options.dns.search } : {}),
        ...(options.ports?.length ? { PortBindings: portBindings(options.ports) } : {}),
        ...(options.mounts?.length ? { Mounts: options.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly })) } : {}),
        // CPU as a quota over Docker's period of 100 ms; memory with no swap beyond it, so the limit is the limit.
        ...(options.limits?.cpuMillis ? { NanoCpus: options.limits.cpuMillis * 1_000_000 } : {}),
        ...(options.limits?.memoryBytes ? { Memory: options.limits.memoryBytes, MemorySwap: options.limits.memoryBytes } : {}),
        ...(options.process?.init ? { Init: true } : {}),
        ...(options.process?.securityContext?.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
        ...(options.process?.securityContext?.capabilities?.add?.length ? { CapAdd: options.process.securityContext.capabilities.add } : {}),
        ...(options.process?.securityContext?.capabilities?.drop?.length ? { CapDrop: options.process.securityContext.capabilities.drop } : {}),
      },
    };
    try {
      return (await this.docker.createContainer(spec)).id;
    } catch (error) {
      // Someone removed the pause image: import it again on the next try.
      if (options.image === PAUSE_IMAGE && isStatus(error, 404)) this.pauseImageReady = false;
      throw error;
    }
  }

  async capacity(): Promise<{ cpuMillis: number; memoryBytes: number; engineId: string }> {
    const info = (await this.docker.info()) as { NCPU: number; MemTotal: number; ID?: string; Name?: string; DockerRootDir?: string };
    // Engines before Docker 23 take their ID from /etc/docker/key.json, which every engine of one machine (and every
    // machine cloned from one image) shares; two engines cannot share a data root, and cloned machines are renamed.
    const engineId = createHash("sha256")
      .update([info.ID ?? "", info.Name ?? "", info.DockerRootDir ?? ""].join("\0"))
      .digest("hex");
    return { cpuMillis: info.NCPU * 1000, memoryBytes: info.MemTotal, engineId };
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    // Creating a volume that exists returns it as it is.
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async ensureNetwork(spec: PodNetworkSpec): Promise<{ bridge: string }> {
    return ensureDockerNetwork(this.docker, spec, (id) => this.removeContainer(id));
  }

  async removeNetwork(name: string): Promise<void> {
    await removeDockerNetwork(this.docker, name);
  }

  sampleUsage(containers: Pick<ObservedContainer, "id" | "pid">[]): Promise<Map<string, UsageSample>> {
    return this.usage.sample(containers);
  }

  async addressOf(id: string): Promise<string | undefined> {
    const { NetworkSettings } = await this.docker.getContainer(id).inspect();
    return Object.values(NetworkSettings.Networks ?? {}).find((network) => network.IPAddress)?.IPAddress || undefined;
  }

  async startContainer(id: string): Promise<void> {
    this.starting.set(id, new Date());
    try {
      await this.docker.getContainer(id).start();
    } finally {
      this.starting.delete(id);
    }
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.docker.getContainer(id).rename({ name });
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (error) {
      if (!isStatus(error, 304, 404)) throw error; // already stopped, or gone
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    this.inspections.delete(id);
  }

  async *logs(id: string, options: LogOptions): AsyncGenerator<LogLine> {
    const since =
      options.sinceNs === undefined ? undefined : `${options.sinceNs / 1_000_000_000n}.${String(options.sinceNs % 1_000_000_000n).padStart(9, "0")}`;
    // dockerode buffers a whole log when not following; dialing ourselves streams it either way, so a large log
    // flows at the pace of its reader.
    const body = await new Promise<NodeJS.ReadableStream & { destroy(): void }>((resolve, reject) =>
      this.docker.modem.dial(
        {
          path: `/containers/${id}/logs?`,
          method: "GET",
          options: {
            stdout: true,
            stderr: true,
            timestamps: true,
            follow: options.follow,
            ...(options.tail === undefined ? {} : { tail: options.tail }),
            ...(since ? { since } : {}),
          },
          isStream: true,
          abortSignal: options.signal,
          statusCodes: { 200: true, 404: "no such container", 500: "server error" },
        },
        (error: Error | null, stream: unknown) => (error ? reject(error) : resolve(stream as NodeJS.ReadableStream & { destroy(): void })),
      ),
    );
    try {
      yield* timestampedLines(demultiplex(body as AsyncIterable<Buffer>));
    } finally {
      body.destroy();
    }
  }

  /** Whether the engine honours an exec's ConsoleSize (API 1.42 and later); asked once. */
  private consoleSize?: Promise<boolean>;

  async exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    this.consoleSize ??= this.docker.version().then(({ ApiVersion }) => {
      const [major, minor] = ApiVersion.split(".").map(Number);
      return major > 1 || (major === 1 && minor >= 42);
    });
    return startExec(this.docker.getContainer(id), options, await this.consoleSize);
  }
}

/** Docker's PortBindings: "80/tcp" → [{ HostIp, HostPort }]. */
function portBindings(ports: NonNullable<CreateContainerOptions["ports"]>): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of ports) (bindings[`${port.containerPort}/${port.protocol}`] ??= []).push({ HostIp: port.hostIP, HostPort: String(port.hostPort) });
  return bindings;
}
