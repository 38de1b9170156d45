import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { CubeService, ResourceSummary, type ListResponse } from "../gen/cube.js";
import { pauseIfSliceUsed } from "../shared/time-slices.js";
import { encodedOnce } from "./written-once.js";

/** Answers already encoded by listResponseInSlices: the service's serializer sends their bytes as they are. */
const encodedAhead = new WeakMap<ListResponse, Buffer>();

/**
 * A list's answer, encoded here a page at a time as the pages come, an item at a time with the loop let go when the
 * slice is used up: encoded by grpc-js at once, thousands of pods held the leader's loop 10–20 ms, and every other call
 * waited. The bytes are those ListResponse.encode writes of every item (each as field 1; the test holds them equal).
 * The answer keeps its items too, so that anything that encodes it anew (not this service's serializer) still sends
 * every one.
 */
export async function listResponseInSlices(pages: AsyncIterable<ResourceSummary[]>): Promise<ListResponse> {
  const writer = new BinaryWriter();
  const items: ResourceSummary[] = [];
  for await (const page of pages) {
    for (const item of page) {
      ResourceSummary.encode(item, writer.uint32(10).fork()).join();
      items.push(item);
      await pauseIfSliceUsed();
    }
  }
  const response: ListResponse = { items };
  encodedAhead.set(response, Buffer.from(writer.finish()));
  return response;
}

/** The Cube service, its `list` answers sent as listResponseInSlices encoded them (others encoded as usual). */
export const cubeServiceEncodedAhead: typeof CubeService = {
  ...CubeService,
  list: { ...CubeService.list, responseSerialize: encodedOnce(CubeService.list.responseSerialize, encodedAhead) },
};
