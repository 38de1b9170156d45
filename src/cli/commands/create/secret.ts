import { Args, Flags } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";
import { keyedFlags, keyedManifest } from "../../keyed-manifest.js";
import { UsageError } from "../../resource-ref.js";

export default class CreateSecret extends CubeCommand {
  static override description =
    "Create (or update) a secret from files and values, so that they need not sit in a manifest: encrypted on the leader, sent only to nodes that run pods using it, never shown";
  static override examples = [
    "<%= config.bin %> create secret db-password --from-literal password=s3cret",
    "<%= config.bin %> create secret tls --from-file tls.crt=./server.crt --from-file tls.key=./server.key",
    "<%= config.bin %> create secret registry-login --registry-server registry.example.com:5000 --username ci --password-stdin < password.txt",
  ];
  static override args = { name: Args.string({ description: "the secret's name", required: true, ignoreStdin: true }) };
  static override flags = {
    ...keyedFlags,
    "registry-server": Flags.string({ description: "a registry secret, for imagePullSecrets: the registry's host[:port]" }),
    username: Flags.string({ description: "the registry's user (with --registry-server)" }),
    "password-stdin": Flags.boolean({ description: "read the registry's password from standard input (with --registry-server)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CreateSecret);
    const server = flags["registry-server"];
    let manifest: Record<string, unknown>;
    if (server !== undefined) {
      if (flags["from-file"].length || flags["from-literal"].length)
        throw new UsageError("a registry secret holds its credentials only: no --from-file, no --from-literal");
      if (!flags.username || !flags["password-stdin"]) throw new UsageError("--registry-server needs --username and --password-stdin");
      const password = (await readStdin()).replace(/\r?\n$/, "");
      if (password === "") throw new UsageError("--password-stdin: standard input was empty");
      manifest = { type: "secret", metadata: { name: args.name }, registry: { server, username: flags.username, password } };
    } else {
      if (!flags["from-file"].length && !flags["from-literal"].length)
        throw new UsageError("give the values: --from-literal KEY=VALUE, --from-file KEY=PATH, or --registry-server");
      manifest = keyedManifest("secret", args.name, flags["from-file"], flags["from-literal"]);
    }
    await this.applyOne(manifest);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
