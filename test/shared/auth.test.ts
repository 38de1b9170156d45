import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ClusterClient, ClusterService, type LeaderMessage, type NodeMessage } from "../../src/gen/agent.js";
import { CubeClient, CubeService } from "../../src/gen/cube.js";
import { secretMatches } from "../../src/shared/auth.js";
import { grpcClientOptions } from "../../src/shared/grpc-client-options.js";
import { createAuthenticatedServer, listen, shutdown } from "../../src/shared/grpc-server.js";

describe("authentication", () => {
  it("compares secrets exactly, whatever their lengths", () => {
    expect(secretMatches("s3cret", "s3cret")).to.equal(true);
    expect(secretMatches("s3cre", "s3cret")).to.equal(false);
    expect(secretMatches("s3cret-and-more", "s3cret")).to.equal(false);
    expect(secretMatches("", "s3cret")).to.equal(false);
  });

  describe("every RPC of a server", () => {
    let server: grpc.Server;
    let address: string;
    let handled = 0;

    before(async () => {
      server = createAuthenticatedServer("right-token");
      server.addService(CubeService, {
        listNodes: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
          handled++;
          callback(null, { nodes: [] });
        },
      });
      server.addService(ClusterService, {
        sync: (call: grpc.ServerDuplexStream<NodeMessage, LeaderMessage>) => {
          handled++;
          call.write({ eventsAck: { upToSequence: 1 } });
        },
      });
      address = `127.0.0.1:${await listen(server, { host: "127.0.0.1", port: 0 })}`;
    });
    after(() => shutdown(server, 0));
    beforeEach(() => (handled = 0));

    const listNodes = (options: Partial<grpc.ClientOptions>) => {
      const client = new CubeClient(address, grpc.credentials.createInsecure(), options);
      return new Promise<grpc.status>((resolve) =>
        client.listNodes({}, (error) => {
          client.close();
          resolve(error ? error.code : grpc.status.OK);
        }),
      );
    };

    it("answers a caller presenting the token", async () => {
      expect(await listNodes(grpcClientOptions("right-token"))).to.equal(grpc.status.OK);
      expect(handled).to.equal(1);
    });

    it("refuses a wrong token or none with UNAUTHENTICATED, before any handler runs", async () => {
      expect(await listNodes(grpcClientOptions("wrong-token"))).to.equal(grpc.status.UNAUTHENTICATED);
      expect(await listNodes({})).to.equal(grpc.status.UNAUTHENTICATED);
      expect(handled).to.equal(0);
    });

    it("refuses a stream opened with a wrong token", async () => {
      const client = new ClusterClient(address, grpc.credentials.createInsecure(), grpcClientOptions("wrong-token"));
      const stream = client.sync();
      const code = await new Promise<grpc.status>((resolve) => {
        stream.on("data", () => resolve(grpc.status.OK));
        stream.on("error", (error: grpc.ServiceError) => resolve(error.code));
      });
      client.close();
      expect(code).to.equal(grpc.status.UNAUTHENTICATED);
      expect(handled).to.equal(0);
    });
  });
});
