import * as grpc from "@grpc/grpc-js";
import { parseResourceType, RESOURCE_TYPES } from "../shared/domain.js";
import { statusError } from "../shared/grpc-server.js";
import { matchesSelector, parseSelector } from "../shared/labels.js";

/** Checks a resource type the user named; empty means "every type" where `allowEmpty`. */
export function checkType(type: string, allowEmpty: boolean): void {
  if (allowEmpty && type === "") return;
  if (!parseResourceType(type)) {
    throw statusError(grpc.status.INVALID_ARGUMENT, `unknown resource type "${type}" (supported types: ${RESOURCE_TYPES.join(", ")})`);
  }
}

/** Whether labels match the selector a user gave ("" matches all); a selector that cannot be read is refused. */
export function labelMatcher(selector: string): (labels: Record<string, string>) => boolean {
  if (selector === "") return () => true;
  const parsed = parseSelector(selector);
  if (!parsed.ok) throw statusError(grpc.status.INVALID_ARGUMENT, parsed.problem);
  return (labels) => matchesSelector(parsed.requirements, labels);
}

/** No resource of that type and name. */
export const resourceNotFound = (type: string, name: string) => statusError(grpc.status.NOT_FOUND, `${parseResourceType(type)}/${name} not found`);
