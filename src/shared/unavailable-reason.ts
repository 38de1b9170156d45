/**
 * The useful part of grpc-js's UNAVAILABLE details ("No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:4299. Resolution note: "): here "connect ECONNREFUSED 127.0.0.1:4299".
 */
export function unavailableReason(details: string): string {
  const lastError = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details);
  return lastError?.[1] || details;
}

/** What a client says of a server whose certificate is a node's where it expected the leader's. */
export const A_NODE_NOT_THE_LEADER = "the server is a node of the cluster, not its active leader";

/** How a leader standing by begins its answer to what only the active one does (several leaders on PostgreSQL). */
export const STANDING_BY = "this leader stands by";

/** Where a leader standing by names, with its UNAVAILABLE, the active leader's address: the CLI asks that one next. */
export const ACTIVE_LEADER_METADATA = "cube-active-leader";

/** Whether a connection failed on TLS verification (a certificate the pinned CA did not sign, or not the expected identity). */
export function isVerificationFailure(reason: string): boolean {
  return /certificate|self.signed|unable to verify|CERT_|is not .*'s$/i.test(reason);
}

/** How the leader begins the words of a proxied call whose node it could not reach (not the CLI's own connection). */
export const NODE_UNREACHABLE = "cannot reach node";

/** The leader's words when it ends the streams under way because it is stopping (the CLI says so, and fails). */
export const LEADER_STOPPING = "the leader is stopping";
