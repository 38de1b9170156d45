/**
 * The useful part of grpc-js's UNAVAILABLE details ("No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:4299. Resolution note: "): here "connect ECONNREFUSED 127.0.0.1:4299".
 */
export function unavailableReason(details: string): string {
  const lastError = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details);
  return lastError?.[1] || details;
}
