import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentStore } from "../../src/agent/agent-store.js";
import { describeStorageError } from "../../src/shared/open-database.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("storage errors", () => {
  const dir = tempDir("storage");
  after(() => dir.remove());

  it("a damaged database: the file named, and what to do", async () => {
    const file = join(dir.path, "agent.db");
    writeFileSync(file, "this is not a database, it is a sentence of more than one hundred bytes, long enough for SQLite to read a header");
    const error = await AgentStore.open(file).catch((caught: Error) => caught);
    expect((error as Error).message).to.equal(
      `the database ${file}: file is not a database (the file is damaged: restore it, or move it aside to start this server's state afresh)`,
    );
  });

  it("names the likely cause of the other failures", () => {
    const failure = (code: string) => describeStorageError("/d/leader.db", Object.assign(new Error("disk I/O error"), { code }));
    expect(failure("SQLITE_IOERR_WRITE")).to.equal(
      "the database /d/leader.db: disk I/O error (the disk failed to read or write it: check the disk and the system log)",
    );
    expect(failure("SQLITE_FULL")).to.equal("the database /d/leader.db: disk I/O error (the disk is full)");
    expect(failure("SQLITE_READONLY_DIRECTORY")).to.match(/cannot be written: check their owner, mode, and that the disk is not mounted read-only\)$/);
    expect(failure("SQLITE_MISUSE")).to.equal("the database /d/leader.db: disk I/O error");
  });

  it("says when a node's database is new, and keeps an id the node knew", async () => {
    const store = await AgentStore.open(join(dir.path, "fresh.db"));
    try {
      expect(await store.nodeId("known-id")).to.deep.equal({ nodeId: "known-id", created: true });
      expect(await store.nodeId("another-id")).to.deep.equal({ nodeId: "known-id", created: false });
    } finally {
      await store.close();
    }
  });
});
