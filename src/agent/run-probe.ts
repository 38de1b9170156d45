import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { Probe } from "../shared/domain.js";
import { runtimeErrorMessage, type ContainerRuntime } from "./container-runtime.js";
import type { ProbeTarget, RunProbe } from "./prober.js";

/**
 * Probes as Kubernetes runs them: `exec` in the container, `httpGet` and `tcpSocket` from the node to the pod's
 * address (its sandbox's on the engine's network, which every container of the pod shares), each within
 * `timeoutSeconds`.
 */
export function probeRunner(runtime: ContainerRuntime): RunProbe {
  return async (probe, target) => {
    const timeoutMs = probe.timeoutSeconds * 1000;
    try {
      if (probe.exec) return await execProbe(runtime, target, probe.exec.command, timeoutMs);
      const host = await runtime.addressOf(target.sandboxId);
      if (!host) return { ok: false, message: "the pod has no address yet" };
      if (probe.httpGet) return await httpProbe(host, probe.httpGet, timeoutMs);
      return await tcpProbe(host, probe.tcpSocket!.port, timeoutMs);
    } catch (error) {
      return { ok: false, message: runtimeErrorMessage(error) };
    }
  };
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${timeoutMs / 1000}s`));
    }, timeoutMs);
  });
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}

async function execProbe(runtime: ContainerRuntime, target: ProbeTarget, command: string[], timeoutMs: number) {
  const process = await runtime.exec(target.containerId, { command, tty: false, stdin: false });
  const run = (async () => {
    let output = "";
    for await (const chunk of process.output) if (output.length < 1024) output += chunk.data.toString("utf8");
    return { ...(await process.result()), output: output.trim().split("\n").at(-1) ?? "" };
  })();
  const { exitCode, startError, output } = await withTimeout(run, timeoutMs, () => void process.kill().catch(() => undefined));
  if (startError) return { ok: false, message: `command could not start: ${startError}` };
  return { ok: exitCode === 0, message: `command exited with ${exitCode}${output ? `: ${output}` : ""}` };
}

function httpProbe(host: string, { path, port, scheme }: NonNullable<Probe["httpGet"]>, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve, reject) => {
    const request = (scheme === "HTTPS" ? httpsRequest : httpRequest)(
      // As Kubernetes: a probe does not check the certificate of an HTTPS endpoint.
      { host, port, path, method: "GET", timeout: timeoutMs, rejectUnauthorized: false, headers: { "user-agent": "cube-probe" } },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 400, message: `HTTP ${status} from ${path}` });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer from ${path} within ${timeoutMs / 1000}s`)));
    request.on("error", reject);
    request.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve({ ok: true, message: `port ${port} open` });
    });
    socket.on("timeout", () => socket.destroy(new Error(`port ${port}: no connection within ${timeoutMs / 1000}s`)));
    socket.on("error", reject);
  });
}
