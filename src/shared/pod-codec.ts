// Conversions between the domain types and their protobuf messages, in one place for leader, agents and CLI.
import type { AssignedPod } from "../gen/agent.js";
import {
  RestartPolicy,
  type ContainerStatus as ProtoContainerStatus,
  type Event as ProtoEvent,
  type PodSpec as ProtoPodSpec,
  type PodStatus as ProtoPodStatus,
} from "../gen/cube.js";
import type { ContainerState, ContainerStatus, EventType, PodEvent, PodPhase, PodSpec, PodStatusReport, RestartPolicy as DomainRestartPolicy, RestartSettings } from "./domain.js";

/** A pod as a node must run it. */
export interface DesiredPod {
  uid: string;
  name: string;
  labels: Record<string, string>;
  spec: PodSpec;
  specHash: string;
}

const optional = (value: string): string | undefined => value || undefined;

const policyToProto: Record<DomainRestartPolicy, RestartPolicy> = {
  Always: RestartPolicy.RESTART_POLICY_ALWAYS,
  OnFailure: RestartPolicy.RESTART_POLICY_ON_FAILURE,
  Never: RestartPolicy.RESTART_POLICY_NEVER,
};
const policyFromProto = new Map(Object.entries(policyToProto).map(([policy, value]) => [value, policy as DomainRestartPolicy]));

/** Restart overrides travel in milliseconds, 0 meaning "the node's default". */
const restartFields = [
  ["initialBackoffSeconds", "initialBackoffMs"],
  ["maxBackoffSeconds", "maxBackoffMs"],
  ["resetAfterSeconds", "resetAfterMs"],
] as const;

export function podSpecToProto(spec: PodSpec): ProtoPodSpec {
  const restart = spec.restart ?? {};
  return {
    containers: spec.containers.map((c) => ({ name: c.name, image: c.image, env: c.env, command: c.command ?? [], args: c.args ?? [] })),
    restartPolicy: policyToProto[spec.restartPolicy],
    restart: {
      ...(Object.fromEntries(restartFields.map(([seconds, ms]) => [ms, Math.round((restart[seconds] ?? 0) * 1000)])) as Record<(typeof restartFields)[number][1], number>),
      maxFailures: restart.maxFailures ?? 0,
    },
    terminationGracePeriodMs: spec.terminationGracePeriodSeconds * 1000,
  };
}

function restartFromProto(restart: ProtoPodSpec["restart"]): Partial<RestartSettings> | undefined {
  if (!restart) return undefined;
  const overrides: Partial<RestartSettings> = {};
  for (const [seconds, ms] of restartFields) if (restart[ms] > 0) overrides[seconds] = restart[ms] / 1000;
  if (restart.maxFailures > 0) overrides.maxFailures = restart.maxFailures;
  return Object.keys(overrides).length > 0 ? overrides : undefined;
}

export function podSpecFromProto(spec: ProtoPodSpec): PodSpec {
  const restart = restartFromProto(spec.restart);
  return {
    containers: spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      env: c.env,
      ...(c.command.length > 0 ? { command: c.command } : {}),
      ...(c.args.length > 0 ? { args: c.args } : {}),
    })),
    restartPolicy: policyFromProto.get(spec.restartPolicy) ?? "Always",
    ...(restart ? { restart } : {}),
    terminationGracePeriodSeconds: spec.terminationGracePeriodMs / 1000,
  };
}

export function desiredPodToProto(pod: DesiredPod): AssignedPod {
  return { uid: pod.uid, name: pod.name, labels: pod.labels, spec: podSpecToProto(pod.spec), specHash: pod.specHash };
}

export function desiredPodFromProto(pod: AssignedPod): DesiredPod {
  return { uid: pod.uid, name: pod.name, labels: pod.labels, spec: podSpecFromProto(pod.spec ?? { containers: [], restartPolicy: 0, terminationGracePeriodMs: 0 }), specHash: pod.specHash };
}

export function containerStatusToProto(status: ContainerStatus): ProtoContainerStatus {
  return {
    name: status.name,
    state: status.state,
    reason: status.reason ?? "",
    message: status.message ?? "",
    containerId: status.containerId ?? "",
    restartCount: status.restartCount,
    exitCode: status.exitCode ?? 0,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    image: status.image,
  };
}

export function containerStatusFromProto(status: ProtoContainerStatus): ContainerStatus {
  return {
    name: status.name,
    state: status.state as ContainerState,
    reason: optional(status.reason),
    message: optional(status.message),
    containerId: optional(status.containerId),
    restartCount: status.restartCount,
    exitCode: status.state === "terminated" ? status.exitCode : undefined,
    startedAt: status.startedAt,
    finishedAt: status.finishedAt,
    image: status.image,
  };
}

export function podStatusToProto(status: PodStatusReport, node: string): ProtoPodStatus {
  return {
    phase: status.phase,
    node,
    reason: status.reason ?? "",
    message: status.message ?? "",
    containers: status.containers.map(containerStatusToProto),
  };
}

export function podStatusFromProto(status: ProtoPodStatus): PodStatusReport {
  return {
    phase: status.phase as PodPhase,
    reason: optional(status.reason),
    message: optional(status.message),
    containers: status.containers.map(containerStatusFromProto),
  };
}

export function eventToProto(event: PodEvent, object: string): ProtoEvent {
  return { time: event.time, type: event.type, reason: event.reason, message: event.message, node: event.node, object };
}

export function eventFromProto(event: ProtoEvent): PodEvent {
  return { time: event.time ?? new Date(0), type: event.type as EventType, reason: event.reason, message: event.message, node: event.node };
}
