import * as grpc from "@grpc/grpc-js";
import type { AgentServer } from "../gen/agent.js";
import type { ExecInput, ExecOutput, LogChunk, LogLine as WireLogLine, LogsRequest } from "../gen/cube.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { writeWithBackpressure } from "../shared/stream-writes.js";
import { runtimeErrorMessage, type ExecProcess } from "./container-runtime.js";
import { timestampToDate } from "./log-lines.js";
import { instancesOf } from "./observed-containers.js";
import { servePortForward } from "./port-forward.js";
import { LogsRefused, runningPod, streamPodLogs, type PodLogsDependencies } from "./pod-logs.js";

/** The request's fields as the log streamer takes them. */
export function toPodLogRequest(request: LogsRequest) {
  return {
    podName: request.name,
    container: request.container,
    follow: request.follow,
    tail: request.tail,
    sinceNs: request.since ? BigInt(request.since.getTime()) * 1_000_000n : undefined,
    previous: request.previous,
  };
}

function toStatus(error: unknown): grpc.ServerErrorResponse {
  if (typeof error === "object" && error !== null && "code" in error && "details" in error) return error as grpc.ServerErrorResponse;
  if (error instanceof LogsRefused) return statusError(error.kind === "not-found" ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION, error.message);
  return statusError(grpc.status.INTERNAL, runtimeErrorMessage(error));
}

/** Chunks of log lines of about 64 KiB: per-line messages would cost far more than the lines. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Groups log lines into chunks: a chunk goes out when full, or as soon as no more lines come at once (so that
 * followed lines show without delay); writes wait while the stream is full.
 */
class ChunkWriter {
  private lines: WireLogLine[] = [];
  private bytes = 0;
  private pending?: NodeJS.Immediate;
  /** The last chunk written, until the stream has room again. */
  private written?: Promise<void>;

  constructor(private readonly call: grpc.ServerWritableStream<LogsRequest, LogChunk>) {}

  async add(line: WireLogLine): Promise<void> {
    this.lines.push(line);
    this.bytes += line.data.length;
    if (this.bytes >= CHUNK_BYTES) await this.flush();
    else this.pending ??= setImmediate(() => void this.flush());
    // A chunk the timer sent may have filled the stream: the lines wait with it (else a log that comes in small reads
    // would all be read from the engine and held here while the reader does not read).
    await this.written;
  }

  async flush(): Promise<void> {
    clearImmediate(this.pending);
    this.pending = undefined;
    if (this.lines.length === 0) return;
    const chunk = { lines: this.lines };
    this.lines = [];
    this.bytes = 0;
    this.written = writeWithBackpressure(this.call, chunk);
    await this.written;
  }
}

/** The node's Agent service: what the leader asks of this node for the CLI (logs, exec, port-forward). */
export function createAgentService(deps: PodLogsDependencies & { log: Logger }): AgentServer {
  return {
    logs: (call) => {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const writer = new ChunkWriter(call);
      streamPodLogs(
        deps,
        toPodLogRequest(call.request),
        (line) =>
          writer.add({
            container: line.container,
            stream: line.stream,
            time: timestampToDate(line.timestampNs),
            data: line.data,
            partial: line.partial ?? false,
          }),
        abort.signal,
      ).then(
        async () => {
          await writer.flush();
          call.end();
        },
        (error) => {
          if (!abort.signal.aborted) call.emit("error", toStatus(error));
        },
      );
    },

    exec: (call) => {
      serveExec(call, deps).catch((error) => call.emit("error", toStatus(error)));
    },

    portForward: (call) => {
      servePortForward(call, deps).catch((error) => call.emit("error", toStatus(error)));
    },
  };
}

async function serveExec(call: grpc.ServerDuplexStream<ExecInput, ExecOutput>, deps: PodLogsDependencies): Promise<void> {
  // Watched from the start: a caller gone before the process exists must not get one, nor leave one behind.
  let gone = false;
  let kill = () => {};
  call.on("cancelled", () => {
    gone = true;
    kill();
  });
  const first = await new Promise<ExecInput | undefined>((resolve) => {
    call.once("data", resolve);
    call.once("end", () => resolve(undefined));
  });
  const start = first?.start;
  if (!start) throw statusError(grpc.status.INVALID_ARGUMENT, "the first exec message must be start");
  call.pause();
  const pod = await runningPod(deps, start.name);
  if (!pod) throw new LogsRefused("not-found", `pod/${start.name} does not run on node ${deps.node}`);
  const [instance] = instancesOf(await deps.runtime.listContainers(deps.node), pod, start.container);
  if (instance?.state !== "running") throw new LogsRefused("not-ready", `container ${start.container} of pod/${pod.name} is not running`);

  if (gone) return;
  const process: ExecProcess = await deps.runtime.exec(instance.id, {
    command: start.command,
    tty: start.tty,
    stdin: start.stdin,
    size: start.size && start.size.rows > 0 ? start.size : undefined,
  });
  let finished = false;
  // The caller went away (Ctrl-C, a dropped connection, perhaps while the process was being made): it must not outlive it.
  kill = () => {
    if (!finished) void process.kill();
  };
  if (gone) kill();
  call.on("data", (input: ExecInput) => {
    if (input.stdin && !process.write(Buffer.from(input.stdin))) {
      call.pause();
      process.onDrain(() => call.resume());
    }
    if (input.stdinClosed) process.endInput();
    if (input.resize) void process.resize(input.resize);
  });
  call.on("end", () => process.endInput());
  call.resume();
  for await (const chunk of process.output) {
    await writeWithBackpressure(call, chunk.stream === "stderr" ? { stderr: chunk.data } : { stdout: chunk.data });
  }
  const { exitCode, startError } = await process.result();
  finished = true;
  if (startError) call.write({ stderr: Buffer.from(`${startError}\n`) });
  call.write({ exitCode });
  call.end();
}
