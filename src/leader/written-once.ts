import { ClusterService } from "../gen/agent.js";

/**
 * What the leader writes to every node alike (a change of the cluster's names, of the services) is made into messages
 * once, and each message encoded once, however many nodes it goes to: at 200 nodes, a change of thousands of names
 * encoded for each node anew was most of what the leader did for it. The same message object written to every node's
 * stream is encoded once (grpc-js copies the encoding into each stream's frame).
 */
export function encodedOnce<Message extends object>(
  serialize: (message: Message) => Buffer,
  /** The encodings known, those made ahead (encoded-in-slices.ts) among them. */
  encoded = new WeakMap<Message, Buffer>(),
): (message: Message) => Buffer {
  return (message) => {
    let buffer = encoded.get(message);
    if (!buffer) encoded.set(message, (buffer = serialize(message)));
    return buffer;
  };
}

/** The Cluster service, its stream's messages to nodes encoded once each (see encodedOnce). */
export const clusterServiceEncodedOnce: typeof ClusterService = {
  ...ClusterService,
  sync: { ...ClusterService.sync, responseSerialize: encodedOnce(ClusterService.sync.responseSerialize) },
};

/** The messages made of `update` by `make`, made once for every node it is sent to (the same update object). */
export function madeOnce<Update extends object, Messages>(made: WeakMap<Update, Messages>, update: Update, make: () => Messages): Messages {
  let messages = made.get(update);
  if (messages === undefined) made.set(update, (messages = make()));
  return messages;
}
