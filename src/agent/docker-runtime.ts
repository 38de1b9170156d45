import { Readable } from "node:stream";
import Docker from "dockerode";
import { LABELS } from "../shared/domain.js";
import { runtimeErrorMessage, type ContainerRuntime, type CreateContainerOptions, type ObservedContainer } from "./container-runtime.js";
import { PAUSE_IMAGE, pauseProgram, singleFileTar } from "./pause-image.js";

const DOCKER_ZERO_TIME = "0001-01-01T00:00:00Z";

function dockerTime(value: string | undefined): Date | undefined {
  return value && value !== DOCKER_ZERO_TIME ? new Date(value) : undefined;
}

function isStatus(error: unknown, ...codes: number[]): boolean {
  return codes.includes((error as { statusCode?: number }).statusCode ?? 0);
}

/** The Docker Engine, through dockerode. */
export class DockerRuntime implements ContainerRuntime {
  /** Inspections by container id, kept while the container's state is unchanged (inspecting is the costly call). */
  private readonly inspections = new Map<string, { state: string; info: Docker.ContainerInspectInfo }>();

  constructor(private readonly docker = new Docker()) {}

  async listContainers(node: string): Promise<ObservedContainer[]> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node}`] } });
    const seen = new Set(listed.map((c) => c.Id));
    for (const id of this.inspections.keys()) if (!seen.has(id)) this.inspections.delete(id);
    const observed = await Promise.all(
      listed.map(async (summary) => {
        const info = await this.inspect(summary.Id, summary.State);
        if (!info) return undefined;
        const labels = summary.Labels;
        const state = info.State.Status;
        return {
          id: summary.Id,
          name: (summary.Names[0] ?? "").replace(/^\//, ""),
          podUid: labels[LABELS.podUid] ?? "",
          podName: labels[LABELS.pod] ?? "",
          containerName: labels[LABELS.container],
          specHash: labels[LABELS.specHash] ?? "",
          state: state === "created" || state === "running" || state === "exited" ? state : "other",
          exitCode: state === "exited" ? info.State.ExitCode : undefined,
          oomKilled: info.State.OOMKilled || undefined,
          error: info.State.Error || undefined,
          createdAt: new Date(info.Created),
          startedAt: dockerTime(info.State.StartedAt),
          finishedAt: dockerTime(info.State.FinishedAt),
          image: info.Config.Image,
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

  async pullImage(image: string): Promise<void> {
    const stream = await this.docker.pull(image);
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

  async ensurePauseImage(): Promise<string> {
    if (await this.hasImage(PAUSE_IMAGE)) return PAUSE_IMAGE;
    const { Architecture } = await this.docker.info();
    const [repo, tag] = PAUSE_IMAGE.split(":");
    const tar = singleFileTar("pause", pauseProgram(Architecture));
    const stream = await this.docker.importImage(Readable.from(tar) as unknown as string, { repo, tag, changes: ['ENTRYPOINT ["/pause"]'] } as object);
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
    return PAUSE_IMAGE;
  }

  async createContainer(options: CreateContainerOptions): Promise<string> {
    const container = await this.docker.createContainer({
      name: options.name,
      Image: options.image,
      Labels: options.labels,
      Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
      ...(options.command ? { Entrypoint: options.command } : {}),
      ...(options.args ? { Cmd: options.args } : {}),
      ...(options.hostname ? { Hostname: options.hostname } : {}),
      HostConfig: options.networkOf ? { NetworkMode: `container:${options.networkOf}` } : {},
    });
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
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
}
