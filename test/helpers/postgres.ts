import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    readonly port: number,
    readonly password: string,
  ) {}

  /** The URL a leader is given (`--store`). */
  get url(): string {
    return `postgres://cube:${this.password}@127.0.0.1:${this.port}/cube`;
  }

  static async start(): Promise<TestPostgres> {
    const dir = mkdtempSync(join(tmpdir(), "cube-postgres-"));
    chmodSync(dir, 0o755);
    const data = join(dir, "data");
    const password = randomBytes(12).toString("hex");
    writeFileSync(join(dir, "password"), password);
    for (const path of [dir, join(dir, "password")]) chownSync(path, ...(await postgresIds()));
    const postgres = new TestPostgres(dir, await freePort(), password);
    const asPostgres = (program: string, ...args: string[]) => run("runuser", ["-u", "postgres", "--", join(BIN, program), ...args], { cwd: dir });
    await asPostgres("initdb", "-D", data, "-U", "cube", "--auth=scram-sha-256", `--pwfile=${join(dir, "password")}`, "--no-sync", "-E", "UTF8");
    await asPostgres(
      "pg_ctl",
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-o",
      `-p ${postgres.port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    );
    await run("runuser", [
      "-u",
      "postgres",
      "--",
      "env",
      `PGPASSWORD=${password}`,
      join(BIN, "createdb"),
      "-h",
      "127.0.0.1",
      "-p",
      String(postgres.port),
      "-U",
      "cube",
      "cube",
    ]);
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
