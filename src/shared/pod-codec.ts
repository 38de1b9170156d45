// Conversions between the domain types and their protobuf messages, in one place for leader, agents and CLI.
import type { AssignedPod } from "../gen/agent.js";
import {
  RestartPolicy,
  type ContainerStatus as ProtoContainerStatus,
  type Event as ProtoEvent,
  type PodSpec as ProtoPodSpec,
  type PodStatus as ProtoPodStatus,
} from "../gen/cube.js";
import type { ContainerState, ContainerStatus, EventType, PodEvent, PodPhase, PodSpec, PodStatusReport } from "./domain.js";

/** A pod as a node must run it. */
export interface DesiredPod {
  uid: string;
  name: string;
  labels: Record<string, string>;
  spec: PodSpec;
  specHash: string;
}

const optional = (value: string): string | undefined => value || undefined;

export function podSpecToProto(spec: PodSpec): ProtoPodSpec {
  return {
    containers: spec.containers.map((c) => ({ name: c.name, image: c.image, env: c.env, command: c.command ?? [], args: c.args ?? [] })),
    restartPolicy: RestartPolicy.RESTART_POLICY_UNSPECIFIED,
    terminationGracePeriodMs: spec.terminationGracePeriodSeconds * 1000,
  };
}

export function podSpecFromProto(spec: ProtoPodSpec): PodSpec {
  return {
    containers: spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      env: c.env,
      ...(c.command.length > 0 ? { command: c.command } : {}),
      ...(c.args.length > 0 ? { args: c.args } : {}),
    })),
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
