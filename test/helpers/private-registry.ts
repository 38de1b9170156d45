import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { eventually, freePort, startProcess, type TestProcess } from "./processes.js";

const run = promisify(execFile);

/** Where every Docker Engine of this machine (the bed's too: they share its /etc) looks for a registry's CA. */
const CERTS_D = "/etc/docker/certs.d";

function statusOf(url: string, ca: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = get(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", () => resolve(undefined));
  });
}

/**
 * A real private registry: Debian's `docker-registry` (Docker's distribution), with htpasswd (bcrypt) users and TLS
 * from a CA of its own, which the engines trust through their certs.d (so the pull is verified, as a user's would
 * be: 127.0.0.0/8 is insecure by default in Docker, so the registry listens on another address of the machine).
 */
export class PrivateRegistry {
  private constructor(
    readonly address: string,
    readonly username: string,
    readonly password: string,
    private readonly dir: string,
    private readonly process: TestProcess,
  ) {}

  static async start(dir: string, host: string): Promise<PrivateRegistry> {
    const username = "ci";
    const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
    const port = await freePort("0.0.0.0");
    const address = `${host}:${port}`;
    mkdirSync(join(dir, "data"), { recursive: true });
    const ca = await createClusterCa(new Date());
    const served = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: [host], now: new Date(), lifetimeMs: 24 * 3600_000 });
    writeFileSync(join(dir, "cert.pem"), served.certificate);
    writeFileSync(join(dir, "key.pem"), served.key);
    const { stdout: htpasswd } = await run("htpasswd", ["-Bbn", username, password]);
    writeFileSync(join(dir, "htpasswd"), htpasswd);
    writeFileSync(
      join(dir, "config.yml"),
      [
        "version: 0.1",
        "log: {level: warn}",
        `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}}`,
        `http: {addr: "${address}", tls: {certificate: ${join(dir, "cert.pem")}, key: ${join(dir, "key.pem")}}}`,
        `auth: {htpasswd: {realm: cube-test, path: ${join(dir, "htpasswd")}}}`,
        "",
      ].join("\n"),
    );
    mkdirSync(join(CERTS_D, address), { recursive: true });
    writeFileSync(join(CERTS_D, address, "ca.crt"), ca.certificate);
    const process = startProcess("registry", "docker-registry", ["serve", join(dir, "config.yml")]);
    const registry = new PrivateRegistry(address, username, password, dir, process);
    // Up once it asks for credentials over TLS that its CA proves.
    await eventually("the registry to answer", async () => ((await statusOf(`https://${address}/v2/`, ca.certificate)) === 401 ? true : undefined));
    return registry;
  }

  /** Pushes a local image as `name` (logged in with a Docker config of its own: the machine's stays as it was); returns its reference. */
  async push(local: string, name: string): Promise<string> {
    const reference = `${this.address}/${name}`;
    const config = join(this.dir, "docker-config");
    await run("docker", ["tag", local, reference]);
    const login = run("docker", ["--config", config, "login", "-u", this.username, "--password-stdin", this.address]);
    login.child.stdin!.end(this.password);
    await login;
    await run("docker", ["--config", config, "push", reference]);
    await run("docker", ["rmi", reference]);
    return reference;
  }

  async stop(): Promise<void> {
    await this.process.kill("SIGTERM");
    rmSync(join(CERTS_D, this.address), { recursive: true, force: true });
  }
}
