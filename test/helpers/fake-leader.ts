import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CubeService } from "../../src/gen/cube.js";
import { systemClock } from "../../src/shared/clock.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { MemoryLogger } from "./memory-logger.js";

/** A leader of the CLI's tests: real TLS and the admin password, the Cube methods given, and a CLI config for it in `dir`. */
export interface FakeLeader {
  /** The CLI's config file (CUBE_CONFIG) for this leader. */
  config: string;
  stop(): Promise<void>;
}

export async function startFakeLeader(dir: string, password: string, handlers: Partial<Record<keyof typeof CubeService, unknown>>): Promise<FakeLeader> {
  const now = new Date();
  const ca = await createClusterCa(now);
  const identity = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: ["127.0.0.1"], now, lifetimeMs: 3_600_000 });
  const server = createAuthorizingServer({ adminPassword: password, failures: new GuessLimiter(systemClock), log: new MemoryLogger() });
  server.addService(CubeService, handlers as grpc.UntypedServiceImplementation);
  const port = await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(false, { ca: ca.certificate, identity }));
  const config = join(dir, "config");
  writeFileSync(config, JSON.stringify({ leaderUrl: `127.0.0.1:${port}`, password, ca: ca.certificate }));
  return { config, stop: () => shutdown(server, 0) };
}
