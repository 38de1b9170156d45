import { expect } from "chai";
import { join } from "node:path";
import { sql, type Kysely, type Migration } from "kysely";
import { IN_MEMORY } from "../../../src/shared/open-database.js";
import { SqliteDatabase } from "../../../src/leader/store/store-database.js";
import { tempDir } from "../../helpers/temp-dir.js";

const migrations: Record<string, Migration> = {
  "0001": {
    up: async (db: Kysely<unknown>) => {
      await sql`create table rows (id integer primary key)`.execute(db);
    },
  },
};

/** A write that holds its transaction open, one row written, until `finish` is called. */
function heldWrite(database: SqliteDatabase, id: number): { finish: () => void; committed: Promise<void> } {
  let finish!: () => void;
  const released = new Promise<void>((resolve) => (finish = resolve));
  const committed = database.write(async (sql) => {
    await sql.run("insert into rows (id) values (?)", id);
    await released; // a large apply pausing between its rows
  });
  return { finish, committed };
}

const count = (database: SqliteDatabase) => database.read(async (sql) => (await sql.get<{ rows: number }>("select count(*) as rows from rows"))!.rows);

describe("SqliteDatabase: reads beside writes", () => {
  const dir = tempDir("store-database");
  after(() => dir.remove());

  it("answers a read while a write holds its transaction, with the last commit; the revision moves at the commit", async () => {
    const database = await SqliteDatabase.open(join(dir.path, "leader.db"), migrations);
    try {
      await database.write((sql) => sql.run("insert into rows (id) values (1)"));
      const before = await database.revision();
      const write = heldWrite(database, 2);
      let writeDone = false;
      void write.committed.then(() => (writeDone = true));
      expect(await count(database), "the read under the write").to.equal(1);
      expect(writeDone, "the write still open when the read answered").to.equal(false);
      expect(await database.revision(), "no commit yet").to.equal(before);
      write.finish();
      await write.committed;
      expect(await count(database)).to.equal(2);
      expect(await database.revision()).to.be.greaterThan(before);
    } finally {
      await database.close();
    }
  });

  it("in memory (one connection), a read waits for the write under way and sees it", async () => {
    const database = await SqliteDatabase.open(IN_MEMORY, migrations);
    try {
      const write = heldWrite(database, 1);
      const read = count(database);
      let readDone = false;
      void read.then(() => (readDone = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(readDone, "the read waits").to.equal(false);
      write.finish();
      expect(await read).to.equal(1);
    } finally {
      await database.close();
    }
  });

  it("keeps the database one server's: a second open is refused while the first is open, and taken once it is closed", async () => {
    const file = join(dir.path, "owned.db");
    const first = await SqliteDatabase.open(file, migrations);
    const refused = await SqliteDatabase.open(file, migrations).catch((error: Error) => error);
    expect((refused as Error).message).to.equal(`the database ${file} is in use by another process: is another cube-server running with this --data-dir?`);
    await first.close();
    const second = await SqliteDatabase.open(file, migrations);
    await second.close();
  });
});
