import { connect } from "node:net";
import { once } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { PortForwardInput, PortForwardOutput } from "../gen/cube.js";
import { statusError } from "../shared/grpc-server.js";
import { spliceSocket } from "../shared/stream-writes.js";
import { currentContainers, isSandbox } from "./observed-containers.js";
import { LogsRefused, runningPod, type PodLogsDependencies } from "./pod-logs.js";

/**
 * One tunnelled TCP connection to a pod's port: the node connects to the pod's address on its network (its sandbox's,
 * as probes do: the pod's localhost is its own) and copies bytes both ways, each side paused while the other is full.
 * Either side ending its half ends the other's; the caller going away closes the connection.
 */
export async function servePortForward(call: grpc.ServerDuplexStream<PortForwardInput, PortForwardOutput>, deps: PodLogsDependencies): Promise<void> {
  let gone = false;
  call.on("cancelled", () => (gone = true));
  const first = await new Promise<PortForwardInput | undefined>((resolve) => {
    call.once("data", resolve);
    call.once("end", () => resolve(undefined));
  });
  const start = first?.start;
  if (!start) throw statusError(grpc.status.INVALID_ARGUMENT, "the first port-forward message must be start");
  call.pause();
  if (start.port < 1 || start.port > 65_535) throw statusError(grpc.status.INVALID_ARGUMENT, `port ${start.port} is not a TCP port`);
  const pod = await runningPod(deps, start.name);
  if (!pod) throw new LogsRefused("not-found", `pod/${start.name} does not run on node ${deps.node}`);
  const sandbox = currentContainers(await deps.runtime.listContainers(deps.node), pod).find((c) => isSandbox(c) && c.state === "running");
  const address = sandbox && (await deps.runtime.addressOf(sandbox.id));
  if (!address) throw new LogsRefused("not-ready", `pod/${pod.name} has no network running on node ${deps.node}`);
  if (gone) return;

  const socket = connect(start.port, address);
  call.on("cancelled", () => socket.destroy());
  try {
    await once(socket, "connect");
  } catch (error) {
    throw statusError(grpc.status.UNAVAILABLE, `pod/${pod.name} port ${start.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  spliceSocket(socket, call);
  socket.on("error", (error: NodeJS.ErrnoException) =>
    call.emit("error", statusError(grpc.status.UNAVAILABLE, `pod/${pod.name} port ${start.port}: ${error.code ?? error.message}`)),
  );
  call.resume();
}
