import { expect } from "chai";
import { ListResponse, type ResourceSummary } from "../../src/gen/cube.js";
import { cubeServiceEncodedAhead, listResponseInSlices } from "../../src/leader/encoded-in-slices.js";

describe("a list's answer encoded in slices", () => {
  const pod = (i: number): ResourceSummary => ({
    type: "pod",
    name: `web-${i}`,
    status: "Running",
    createdAt: new Date(1_700_000_000_000 + i),
    labels: { app: "web", index: String(i) },
    node: `node-${i % 7}`,
    readyContainers: 1,
    containers: 1,
    restarts: i % 3,
    podIp: `10.42.${i % 250}.${i % 200}`,
    ports: i % 2 ? [{ container: "main", containerPort: 80, hostPort: 8000 + i, protocol: "tcp", hostAddress: "192.0.2.1" }] : [],
    owner: i % 2 ? "web" : undefined,
  });
  const serialize = cubeServiceEncodedAhead.list.responseSerialize;
  /** `items` in pages of `size` (the last one shorter), with an empty page first, as a list yields an empty type. */
  async function* inPages(items: ResourceSummary[], size: number) {
    yield [];
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }

  it("sends the bytes ListResponse.encode writes of every page's items, for none, one or many, in pages of any size", async () => {
    for (const count of [0, 1, 500]) {
      const items = Array.from({ length: count }, (_, i) => pod(i));
      for (const size of [1, 7, 250, 1000]) {
        const response = await listResponseInSlices(inPages(items, size));
        expect(serialize(response), `${count} items in pages of ${size}`).to.deep.equal(Buffer.from(ListResponse.encode({ items }).finish()));
        expect(ListResponse.decode(serialize(response)).items).to.have.length(count);
        expect(response.items, "the answer keeps its items").to.deep.equal(items);
      }
    }
  });

  it("encodes an answer it did not make as usual", () => {
    const response = { items: [pod(1)] };
    expect(serialize(response)).to.deep.equal(Buffer.from(ListResponse.encode(response).finish()));
  });

  it("lets other work run while it encodes thousands of items", async () => {
    const items = Array.from({ length: 30_000 }, (_, i) => pod(i));
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    await listResponseInSlices(inPages(items, 30_000));
    expect(ranMeanwhile).to.equal(true);
  });
});
