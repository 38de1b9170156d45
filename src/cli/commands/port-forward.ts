import { createServer, type Socket } from "node:net";
import { Args, Flags } from "@oclif/core";
import { spliceSocket } from "../../shared/stream-writes.js";
import { CubeCommand } from "../base-command.js";
import type { LeaderClient } from "../leader-client.js";
import { parseOneResource, UsageError } from "../resource-ref.js";

/** "8080:80" → local 8080, remote 80; "80" → both 80; ":80" → a free local port. */
export function parsePortPair(text: string): { local: number; remote: number } {
  const match = /^(?:(\d*):)?(\d+)$/.exec(text);
  const port = (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new UsageError(`"${value}" is not a port (1-65535)`);
    return n;
  };
  if (!match) throw new UsageError(`"${text}" is not [LOCAL:]REMOTE (e.g. 8080:80)`);
  const remote = port(match[2]);
  return { remote, local: match[1] === undefined ? remote : match[1] === "" ? 0 : port(match[1]) };
}

/** Tunnels one accepted connection through the leader to the pod's port; each side ends the other. */
async function tunnel(leader: LeaderClient, socket: Socket, type: string, name: string, port: number): Promise<void> {
  const stream = await leader.portForward();
  stream.write({ start: { type, name, port } });
  spliceSocket(socket, stream);
  stream.on("error", (error: { details?: string; message: string }) => {
    process.stderr.write(`a connection to ${type}/${name} port ${port} failed: ${error.details || error.message}\n`);
    socket.destroy();
  });
  socket.on("error", () => stream.cancel());
}

export default class PortForward extends CubeCommand {
  static override description =
    "Reach a pod's port from this machine without publishing it: each local connection is tunnelled through the leader to the pod, until Ctrl-C";
  static override examples = ["<%= config.bin %> port-forward pod/web 8080:80", "<%= config.bin %> port-forward web :80"];
  static override strict = false;
  static override args = {
    resource: Args.string({ description: "the pod: pod/NAME, pod NAME or NAME", required: true, ignoreStdin: true }),
    ports: Args.string({ description: "[LOCAL:]REMOTE, e.g. 8080:80", required: true, ignoreStdin: true }),
  };
  static override flags = { address: Flags.string({ description: "the local address to listen on", default: "127.0.0.1" }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(PortForward);
    const words = argv as string[];
    if (words.length < 2) throw new UsageError("give the pod and the ports: cube port-forward pod/NAME [LOCAL:]REMOTE");
    const { local, remote } = parsePortPair(words.at(-1)!);
    const { type, name } = parseOneResource(words.slice(0, -1), "pod");
    if (type !== "pod") throw new UsageError(`port-forward reaches a pod, not a ${type} (e.g. pod/web)`);
    const leader = await this.leader();
    await leader.get(type, name); // a clear error for a pod that does not exist
    const server = createServer(
      (socket) =>
        void tunnel(leader, socket, type, name, remote).catch((error: Error) => {
          process.stderr.write(`a connection to ${type}/${name} port ${remote} failed: ${error.message}\n`);
          socket.destroy();
        }),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(new UsageError(`cannot listen on ${flags.address}:${local}: ${error.code ?? error.message}`)),
      );
      server.listen(local, flags.address, resolve);
    });
    const bound = server.address() as { port: number };
    process.stdout.write(`Forwarding from ${flags.address}:${bound.port} -> ${type}/${name}:${remote} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => process.once("SIGINT", resolve));
    server.close();
  }
}
