// Asks the leader for its nodes every 20 ms, in a process of its own (so that nothing else on its event loop delays
// the answers it times), until its stdin ends; then prints each round trip's time, in ms, as a JSON array.
// node --import tsx bench/list-nodes-prober.ts CONFIG_PATH
import { loadConfig } from "../src/cli/config.js";
import { openLeaderClient } from "../src/cli/leader-trust.js";

const configPath = process.argv[2];
const client = await openLeaderClient(loadConfig(configPath), configPath);
let probing = true;
process.stdin.on("end", () => (probing = false)).resume();
const latenciesMs: number[] = [];
process.stderr.write("probing\n");
while (probing) {
  const start = performance.now();
  await client.listNodes();
  latenciesMs.push(performance.now() - start);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
client.close();
process.stdout.write(JSON.stringify(latenciesMs));
