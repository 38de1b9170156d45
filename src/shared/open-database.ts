import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, type Migration } from "kysely";

/**
 * Opens (creating it if needed) a SQLite database in WAL mode and brings its schema up to date with `migrations`
 * (applied in the order of their names). Commits are fsynced (synchronous = FULL): an acknowledged write survives
 * a crash of the process or of the machine.
 */
export async function openDatabase<Schema>(file: string, migrations: Record<string, Migration>): Promise<Kysely<Schema>> {
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`cannot migrate the database ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return db;
}
