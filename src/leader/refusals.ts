/**
 * What the leader refuses, in one vocabulary (as Kubernetes' apimachinery `api/errors`): stores and controllers throw
 * a `Refusal` of a kind; the gRPC adapter (`unary-handler.ts`) gives each kind its one status code. Anything else
 * thrown is the leader's own failure.
 */
export type RefusalKind =
  /** No such resource (NOT_FOUND). */
  | "NotFound"
  /** The request cannot be met in the resource's present state: being deleted, no revision to go back to (FAILED_PRECONDITION). */
  | "Conflict"
  /** The request itself is wrong: a manifest, a field, an address (INVALID_ARGUMENT). */
  | "Invalid"
  /** A name already held by another (ALREADY_EXISTS): a live node's, a revoked key's. */
  | "AlreadyExists";

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}

export const conflict = (message: string) => new Refusal("Conflict", message);
export const invalid = (message: string) => new Refusal("Invalid", message);
export const alreadyExists = (message: string) => new Refusal("AlreadyExists", message);
export const notFound = (message: string) => new Refusal("NotFound", message);

/** Whether `error` is a refusal of `kind` (a join refused, a pod being deleted…). */
export function isRefusal(error: unknown, kind: RefusalKind): error is Refusal {
  return error instanceof Refusal && error.kind === kind;
}
