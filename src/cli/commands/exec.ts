import { Args, Flags } from "@oclif/core";
import type { ExecOutput } from "../../gen/cube.js";
import { CubeCommand } from "../base-command.js";
import { podFor } from "../pick-pod.js";
import { parseOneResource, UsageError } from "../resource-ref.js";

export default class Exec extends CubeCommand {
  static override description =
    "Run a command in a container of a pod: interactive with a terminal when stdin is one, piped otherwise; exits with the command's exit code";
  static override examples = [
    "<%= config.bin %> exec pod/my-pod -- sh",
    "<%= config.bin %> exec -it my-pod -- sh",
    "<%= config.bin %> exec pod/my-pod --container web -- ls -l /",
    "<%= config.bin %> exec deploy/web -- env",
    "echo hi | <%= config.bin %> exec pod/my-pod -- cat",
  ];
  static override strict = false;
  static override args = {
    resource: Args.string({
      description: "the pod: NAME, pod/NAME or pod NAME; or a deployment (deploy/NAME: one of its running replicas)",
      required: true,
      ignoreStdin: true,
    }),
  };
  static override flags = {
    container: Flags.string({ char: "c", description: "the container (may be left out for a single-container pod)" }),
    // kubectl's habits, accepted: Cube gives a terminal when stdin is one and pipes otherwise, without being told.
    stdin: Flags.boolean({ char: "i", description: "accepted for kubectl's habit; stdin is always passed" }),
    tty: Flags.boolean({ char: "t", description: "accepted for kubectl's habit; a terminal is given when stdin is one" }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Exec);
    // The command is everything after "--", as typed: oclif's own parse reorders what looks like flags in it.
    const dash = this.argv.indexOf("--");
    const words = argv as string[];
    const command = dash >= 0 ? this.argv.slice(dash + 1) : words.slice(1);
    const ref = parseOneResource(dash >= 0 ? words.slice(0, words.length - command.length) : words.slice(0, 1), "pod");
    if (command.length === 0) throw new UsageError(`give the command after "--", e.g. cube exec ${ref.type}/${ref.name} -- sh`);
    const leader = await this.leader();
    const pod = await podFor(leader, ref);
    const stdin = process.stdin;
    const tty = Boolean(stdin.isTTY && process.stdout.isTTY);
    const size = () => ({ rows: process.stdout.rows ?? 24, columns: process.stdout.columns ?? 80 });
    const stream = await leader.exec();
    // The size goes with the very first message, so that a shell has it from its first prompt.
    stream.write({ start: { type: "pod", name: pod, container: flags.container ?? "", command, tty, size: tty ? size() : undefined, stdin: true } });

    const restoreTerminal = () => {
      if (tty && stdin.isRaw) stdin.setRawMode(false);
    };
    process.once("exit", restoreTerminal);
    const onResize = () => stream.write({ resize: size() });
    const onInput = (data: Buffer) => {
      if (!stream.write({ stdin: data })) {
        stdin.pause();
        stream.once("drain", () => stdin.resume());
      }
    };
    const onInputEnd = () => stream.write({ stdinClosed: true });
    if (tty) {
      // Raw: every key, Ctrl-C included, goes to the remote process.
      stdin.setRawMode(true);
      process.stdout.on("resize", onResize);
    }
    stdin.on("data", onInput);
    stdin.once("end", onInputEnd);

    let exitCode: number | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (output: ExecOutput) => {
          if (output.stdout) process.stdout.write(output.stdout);
          if (output.stderr) process.stderr.write(output.stderr);
          if (output.exitCode !== undefined) exitCode = output.exitCode;
        });
        stream.on("end", resolve);
        stream.on("error", reject);
      });
    } finally {
      restoreTerminal();
      process.stdout.removeListener("resize", onResize);
      stdin.removeListener("data", onInput);
      stdin.removeListener("end", onInputEnd);
      stdin.pause();
    }
    if (exitCode === undefined) throw new Error("the command's session ended without an exit code (its node went away?)");
    process.exitCode = exitCode;
  }
}
