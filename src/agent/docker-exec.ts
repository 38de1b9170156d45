import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import type { ExecOptions, ExecProcess, TerminalSize } from "./container-runtime.js";
import { demultiplex } from "./log-lines.js";

/**
 * Runs a command in a container through the engine's exec: its output as frames, its input, resizes, its exit code
 * (126/127 with the engine's words when it cannot start), and a kill the engine itself lacks. `engineTakesConsoleSize`:
 * the engine (API 1.42+) starts a terminal at the size given.
 */
export async function startExec(container: Docker.Container, options: ExecOptions, engineTakesConsoleSize: boolean): Promise<ExecProcess> {
  const sized = options.tty && options.size !== undefined;
  // An older engine starts the command at 0x0, and the resize right after start races the command's first look at
  // its size (kubernetes/kubernetes#47990): COLUMNS and LINES give it the size at once. They also hide later resizes
  // from the programs that prefer them to the terminal's own size, so they are set only where needed.
  const withConsoleSize = sized && engineTakesConsoleSize;
  const exec = await container.exec({
    Cmd: options.command,
    AttachStdin: options.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: options.tty,
    Env: sized && !withConsoleSize ? [`COLUMNS=${options.size!.columns}`, `LINES=${options.size!.rows}`] : [],
    ...(withConsoleSize ? { ConsoleSize: [options.size!.rows, options.size!.columns] } : {}),
  } as Docker.ExecCreateOptions);
  const stream = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty } as Docker.ExecStartOptions)) as NodeJS.ReadWriteStream & {
    end(): void;
    destroy(): void;
    write(data: Buffer): boolean;
  };
  const resize = async (size: TerminalSize) => {
    await exec.resize({ h: size.rows, w: size.columns }).catch(() => undefined); // the process may be gone already
  };
  if (options.tty && options.size) await resize(options.size);
  let startError: string | undefined;

  async function* output(): AsyncGenerator<{ stream: "stdout" | "stderr"; data: Buffer }> {
    const frames = options.tty
      ? (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) yield { stream: "stdout" as const, payload: chunk };
        })()
      : demultiplex(stream as AsyncIterable<Buffer>);
    // When the command cannot start, the engine says so on stdout ("OCI runtime exec failed: ...") and no process
    // ever runs (Pid 0): that text is held back and becomes the start error.
    let held: Buffer | undefined;
    let first = true;
    for await (const frame of frames) {
      if (first && frame.payload.toString("latin1").startsWith("OCI runtime exec failed")) held = frame.payload;
      else yield { stream: frame.stream, data: frame.payload };
      first = false;
    }
    if (held) {
      const info = await exec.inspect();
      if (info.Pid === 0) startError = held.toString("utf8").trim();
      else yield { stream: "stdout", data: held };
    }
  }

  return {
    output: output(),
    write: (data) => stream.write(data),
    onDrain: (listener) => stream.once("drain", listener),
    endInput: () => stream.end(),
    resize,
    result: async () => {
      const info = await exec.inspect();
      if (startError) return { exitCode: /not found|no such file/.test(startError) ? 127 : 126, startError: describeStartError(startError) };
      return { exitCode: info.ExitCode ?? 0 };
    },
    kill: async () => {
      stream.destroy();
      // The engine has no call to end an exec; the agent runs beside its engine, so the PID is one of this host's.
      // Right after its start an exec may not show its PID yet (engines under load take a while): it is awaited.
      for (let attempt = 0; attempt < 100; attempt++) {
        const info = await exec.inspect().catch(() => undefined);
        if (!info || (!info.Running && info.ExitCode !== null)) return;
        if (info.Running && info.Pid > 0) {
          try {
            process.kill(info.Pid, "SIGKILL");
          } catch {
            // already gone
          }
          return;
        }
        await sleep(50);
      }
    },
  };
}

/**
 * The engine's "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nope\": executable
 * file not found in $PATH: unknown" as a shell would say it: "nope: executable file not found in $PATH".
 */
export function describeStartError(engineText: string): string {
  const match = /exec: "([^"]*)": (.*?)(?:: unknown)?$/.exec(engineText);
  return match ? `${match[1]}: ${match[2]}` : engineText;
}
