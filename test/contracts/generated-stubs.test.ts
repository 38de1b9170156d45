import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { expect } from "chai";
import { AgentService, ClusterService } from "../../src/gen/agent.js";
import { CubeService, ListNodesResponse } from "../../src/gen/cube.js";
import { tempDir } from "../helpers/temp-dir.js";

const root = join(import.meta.dirname, "..", "..");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe("contracts", () => {
  it("the committed stubs in src/gen are what scripts/gen-proto.sh generates from proto/", function () {
    this.timeout(30_000);
    const out = tempDir("gen");
    try {
      execFileSync(join(root, "scripts", "gen-proto.sh"), [out.path], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
      const committed = join(root, "src", "gen");
      expect(filesUnder(committed)).to.deep.equal(filesUnder(out.path));
      for (const file of filesUnder(out.path)) {
        const fresh = readFileSync(join(out.path, file), "utf8");
        expect(readFileSync(join(committed, file), "utf8") === fresh, `src/gen/${file} is stale: run scripts/gen-proto.sh and commit`).to.equal(true);
      }
    } finally {
      out.remove();
    }
  });

  describe("the generated services agree with the protos as @grpc/proto-loader reads them", () => {
    const definition = protoLoader.loadSync(["cube.proto", "agent.proto"], { includeDirs: [join(root, "proto")], enums: String, longs: String });
    const services = {
      "cube.v1.Cube": CubeService,
      "cube.agent.v1.Cluster": ClusterService,
      "cube.agent.v1.Agent": AgentService,
    };

    for (const [name, generated] of Object.entries(services)) {
      it(`${name}: same methods, paths and streaming`, () => {
        const loaded = definition[name] as grpc.ServiceDefinition;
        const shape = (service: Record<string, { path: string; requestStream: boolean; responseStream: boolean }>) =>
          Object.values(service)
            .map(({ path, requestStream, responseStream }) => ({ path, requestStream, responseStream }))
            .sort((a, b) => a.path.localeCompare(b.path));
        expect(shape(generated)).to.deep.equal(shape(loaded as never));
      });
    }

    it("a message encoded by the stubs decodes with the loaded definition", () => {
      const joinedAt = new Date("2026-01-02T03:04:05.678Z");
      const bytes = Buffer.from(
        ListNodesResponse.encode({
          nodes: [
            {
              name: "n1",
              status: "Ready",
              type: "Leader",
              address: "a:1",
              joinedAt,
              lastHeartbeatAt: joinedAt,
              labels: { zone: "a" },
              cpuMillis: 2000,
              memoryBytes: 2 ** 33,
              holds: [],
              allocatedCpuMillis: 500,
              allocatedMemoryBytes: 2 ** 28,
              cordoned: true,
            },
          ],
          warnings: ["the cluster CA ends soon"],
        }).finish(),
      );
      const listNodes = (definition["cube.v1.Cube"] as grpc.ServiceDefinition).ListNodes;
      const decoded = listNodes.responseDeserialize(bytes) as { nodes: Record<string, unknown>[]; warnings: string[] };
      expect(decoded.warnings).to.deep.equal(["the cluster CA ends soon"]);
      expect(decoded.nodes[0]).to.deep.include({ name: "n1", status: "Ready", type: "Leader", address: "a:1" });
      expect(decoded.nodes[0].joinedAt).to.deep.equal({ seconds: String((joinedAt.getTime() / 1000) | 0), nanos: 678_000_000 });
    });
  });
});
