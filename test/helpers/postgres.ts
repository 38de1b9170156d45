import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.js";

const run = promisify(execFile);
/** Debian's PostgreSQL 15 (scripts/test.sh installs it): its programs run as the `postgres` user, never as root. */
const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A real PostgreSQL server of a test's own: a data directory in a temporary folder, a private port on loopback, a
 * password-authenticated user `cube` (SCRAM) and a database `cube`. `stop` ends it (by its own pidfile) and removes
 * its data.
 */
export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly host: string,
    readonly port: number,
    readonly password: string,
  ) {}

  /** The URL a leader is given (`--store`). */
  get url(): string {
    return `postgres://cube:${this.password}@${this.host}:${this.port}/cube`;
  }

  /**
   * Starts it on loopback, or on a host of a test bed (`on`: its address, and how to run a command there), where the
   * leaders of the other hosts reach it over the bed's network.
   */
  static async start(on?: { address: string; run(command: string, ...args: string[]): Promise<unknown> }): Promise<TestPostgres> {
    const dir = mkdtempSync(join(tmpdir(), "cube-postgres-"));
    chmodSync(dir, 0o755);
    const data = join(dir, "data");
    const password = randomBytes(12).toString("hex");
    writeFileSync(join(dir, "password"), password);
    for (const path of [dir, join(dir, "password")]) chownSync(path, ...(await postgresIds()));
    const host = on?.address ?? "127.0.0.1";
    const postgres = new TestPostgres(dir, host, on ? 5432 : await freePort(), password);
    const asPostgres = (program: string, ...args: string[]) => run("runuser", ["-u", "postgres", "--", join(BIN, program), ...args], { cwd: dir });
    // On the bed's host: in its network namespace (the server listens on its address there).
    const there = (...args: string[]) =>
      on ? on.run("runuser", "-u", "postgres", "--", ...args) : run("runuser", ["-u", "postgres", "--", ...args], { cwd: dir });
    await asPostgres("initdb", "-D", data, "-U", "cube", "--auth=scram-sha-256", `--pwfile=${join(dir, "password")}`, "--no-sync", "-E", "UTF8");
    // Leaders on other hosts of a bed connect from their own addresses, with the password.
    appendFileSync(join(data, "pg_hba.conf"), "host all all 0.0.0.0/0 scram-sha-256\n");
    const options = `-p ${postgres.port} -k ${dir} -c listen_addresses=${host} -c fsync=off`;
    await there(join(BIN, "pg_ctl"), "-D", data, "-l", join(dir, "log"), "-w", "-o", options, "start");
    try {
      await there("env", `PGPASSWORD=${password}`, join(BIN, "createdb"), "-h", host, "-p", String(postgres.port), "-U", "cube", "cube");
    } catch (error) {
      await postgres.stop();
      throw error;
    }
    return postgres;
  }

  /** Stops the server at once (its pidfile names the process this test started) and removes its data. */
  async stop(): Promise<void> {
    await run("runuser", ["-u", "postgres", "--", join(BIN, "pg_ctl"), "-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function postgresIds(): Promise<[number, number]> {
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return [Number(uid.stdout), Number(gid.stdout)];
}
