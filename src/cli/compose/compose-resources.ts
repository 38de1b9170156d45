import { parse as parseDotenv } from "dotenv";
import { parse as parseShellWords } from "shell-quote";
import { LABEL_KEY, LABEL_VALUE } from "../../shared/labels.js";
import type { ComposeFile } from "./read-compose.js";
import { keyedFiles, keyedResources } from "./compose-keyed.js";
import { composeVolumes } from "./compose-volumes.js";
import { dependenciesOf } from "./compose-depends.js";
import { composeDuration, environmentOf, nodeSelectorOf, portsOf, probeOf, resourcesOf, restartPolicy, strategyOf } from "./compose-fields.js";
import { APP_LABEL, resourceName, SERVICE_LABEL, type ComposeSurroundings } from "./compose-vocabulary.js";

/** The fields of a service Cube reads; every other one is named in a warning (`x-` extensions are dropped before). */
const READ = new Set([
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "deploy",
  "restart",
  "hostname",
  "stop_grace_period",
  "healthcheck",
  "ports",
  "expose",
  "networks",
  "user",
  "working_dir",
  "init",
  "read_only",
  "cap_add",
  "cap_drop",
  "stop_signal",
  "labels",
  "env_file",
  "secrets",
  "configs",
  "volumes",
  "tmpfs",
  "depends_on",
]);
const READ_IN_DEPLOY = new Set(["mode", "replicas", "restart_policy", "resources", "placement", "update_config"]);

/**
 * A Compose file's services as Cube resources, kept together by the application's label: a deployment per service
 * (named after it, so `db` resolves to its ready replicas, on any port, as under Compose), and, for a service that
 * publishes or exposes ports, a service of the same name (a virtual IP balanced over them). What Cube does not read is
 * named, with its line, in one warning; what it cannot do is a problem.
 */
export function composeResources(
  file: ComposeFile,
  project: string,
  around: ComposeSurroundings,
): { resources: object[]; warnings: string[]; problems: string[] } {
  const resources: object[] = [];
  const problems: string[] = [];
  const ignored: string[] = [];
  const notes: string[] = [];
  const keyed = keyedResources(file, project, around, resources, (path, message) => problems.push(`${file.at(path)}: ${message}`));
  const withNetworks = Object.keys(file.services).find((name) => file.services[name].networks !== undefined);
  if (Object.keys(file.networks).length > 0 || withNetworks) {
    const at = Object.keys(file.networks).length > 0 ? file.at(["networks"]) : file.at(["services", withNetworks!, "networks"]);
    ignored.push(`${at}: networks (Cube has one flat network: every service reaches every other)`);
  }
  const dependencies = dependenciesOf(
    file.services,
    (service, path, message) => problems.push(`${file.at(["services", service, ...path])}: ${message}`),
    (service, path, what) => ignored.push(`${file.at(["services", service, ...path])}: ${what}`),
  );
  for (const [composeName, service] of Object.entries(file.services)) {
    const name = resourceName(composeName);
    const at = (...path: (string | number)[]) => file.at(["services", composeName, ...path]);
    const problem = (path: (string | number)[], message: string) => problems.push(`${at(...path)}: ${message}`);
    for (const key of Object.keys(service)) if (!READ.has(key)) ignored.push(`${at(key)}: ${key}`);
    const deploy = (service.deploy ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(deploy)) if (!READ_IN_DEPLOY.has(key)) ignored.push(`${at("deploy", key)}: deploy.${key}`);
    if (service.image === undefined) {
      problem(
        [],
        service.build === undefined
          ? "no image: give one"
          : "build without image: Cube runs images, it does not build them (build and push the image, then set image)",
      );
      continue;
    }
    const labels = { [APP_LABEL]: project, [SERVICE_LABEL]: name };
    // Compose's labels are free text (Docker's container labels); those that are valid Cube labels go on the pods.
    const podLabels: Record<string, string> = { ...labels };
    const composeLabels = Array.isArray(service.labels)
      ? Object.fromEntries(service.labels.map((item) => String(item).split(/=(.*)/s).slice(0, 2)))
      : ((service.labels ?? {}) as Record<string, unknown>);
    for (const [key, value] of Object.entries(composeLabels)) {
      if (LABEL_KEY.test(key) && LABEL_VALUE.test(String(value ?? ""))) podLabels[key] = String(value ?? "");
      else ignored.push(`${at("labels")}: label ${key} (a Cube label's value is at most 63 letters, digits, '-', '_' or '.')`);
    }
    const container: Record<string, unknown> = { name, image: service.image };
    const words = (key: "command" | "entrypoint") => {
      const value = service[key];
      if (value === undefined || value === null) return undefined;
      if (Array.isArray(value)) return value.map(String);
      const parsed = parseShellWords(String(value), (variable) => `$${variable}`);
      if (parsed.some((word) => typeof word !== "string")) {
        problem([key], `shell operators are not run (no shell reads ${key}): write ["sh", "-c", "..."]`);
        return undefined;
      }
      return parsed as string[];
    };
    const entrypoint = words("entrypoint");
    const command = words("command");
    // Compose's entrypoint replaces the image's ENTRYPOINT, its command the CMD: Cube's (Kubernetes') command and args.
    if (entrypoint) container.command = entrypoint;
    if (command) container.args = command;
    const envFiles = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    const fromFiles: Record<string, string> = {};
    for (const [index, entry] of envFiles.entries()) {
      const path = typeof entry === "object" && entry !== null ? (entry as { path?: unknown }).path : entry;
      try {
        Object.assign(fromFiles, parseDotenv(around.readFile(String(path))));
      } catch (error) {
        const optional = typeof entry === "object" && entry !== null && (entry as { required?: unknown }).required === false;
        if (!optional)
          problem(
            ["env_file", ...(Array.isArray(service.env_file) ? [index] : [])],
            `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
      }
    }
    // As Compose: environment wins over env_file.
    const env = { ...fromFiles, ...environmentOf(service.environment, around.env, (message) => problem(["environment"], message)) };
    if (Object.keys(env).length > 0) container.env = env;
    const ports = portsOf(
      service,
      (path, message) => problem(path, message),
      (path, what) => notes.push(`${at(...path)}: ${what}`),
    );
    if (ports.container.length > 0) container.ports = ports.container;
    const probe = probeOf(service.healthcheck, (key, message) => problem(["healthcheck", key], message));
    // Ready (for service_healthy and the service's balancing) once healthy; restarted once unhealthy, as under Swarm.
    if (probe) Object.assign(container, { readinessProbe: probe.readiness, livenessProbe: probe.liveness });
    if (service.user !== undefined) container.user = String(service.user);
    if (service.working_dir !== undefined) container.workingDir = service.working_dir;
    if (service.init !== undefined) container.init = service.init;
    if (service.stop_signal !== undefined) container.stopSignal = service.stop_signal;
    const securityContext = {
      ...(service.read_only !== undefined ? { readOnlyRootFilesystem: service.read_only } : {}),
      ...(service.cap_add || service.cap_drop
        ? { capabilities: { ...(service.cap_add ? { add: service.cap_add } : {}), ...(service.cap_drop ? { drop: service.cap_drop } : {}) } }
        : {}),
    };
    if (Object.keys(securityContext).length > 0) container.securityContext = securityContext;
    const amounts = resourcesOf(deploy.resources, (path, message) => problem(["deploy", "resources", ...path], message));
    if (amounts) container.resources = amounts;
    const spec: Record<string, unknown> = { containers: [container] };
    const files = keyedFiles(
      service,
      keyed,
      (path, message) => problem(path, message),
      (path, what) => ignored.push(`${at(...path)}: ${what}`),
    );
    const disks = composeVolumes(service, file.volumes, around, problem, (path, what) => notes.push(`${at(...path)}: ${what}`));
    if (files.volumes.length + disks.volumes.length > 0) {
      spec.volumes = [...disks.volumes, ...files.volumes];
      container.volumeMounts = [...disks.mounts, ...files.mounts];
    }
    const nodeSelector = nodeSelectorOf(deploy.placement, (path, message) => problem(["deploy", "placement", ...path], message));
    if (nodeSelector) spec.nodeSelector = nodeSelector;
    const restart = restartPolicy(service, (path, message) => problem(path, message));
    if (restart) spec.restartPolicy = restart;
    if (typeof service.hostname === "string") spec.hostname = service.hostname;
    if (dependencies.has(composeName)) spec.dependsOn = dependencies.get(composeName);
    if (service.stop_grace_period !== undefined) {
      const ms = composeDuration(String(service.stop_grace_period));
      if (ms === undefined) problem(["stop_grace_period"], `${JSON.stringify(service.stop_grace_period)} is not a duration (e.g. 10s, 1m30s)`);
      else spec.terminationGracePeriodSeconds = Math.ceil(ms / 1000);
    }
    if (deploy.mode !== undefined && deploy.mode !== "replicated")
      problem(
        ["deploy", "mode"],
        `${JSON.stringify(deploy.mode)}: Cube runs replicated services only (one pod per node is not there yet): give deploy.replicas`,
      );
    const replicas = deploy.replicas ?? 1;
    if (!Number.isInteger(replicas)) problem(["deploy", "replicas"], "must be a whole number");
    if (disks.persistent && replicas === 1) {
      // A named volume is one node's: a single pod keeps its name, so it runs where its data is at every change.
      resources.push({ type: "pod", metadata: { name, labels: podLabels }, spec });
    } else {
      if (disks.persistent)
        notes.push(`${at("volumes")}: a named volume of a replicated service is one per node, shared by its replicas there (as under Swarm)`);
      resources.push({
        type: "deployment",
        metadata: { name, labels },
        spec: {
          replicas,
          template: { metadata: { labels: podLabels }, spec },
          ...strategyOf(deploy.update_config, (path, message) => problem(["deploy", "update_config", ...path], message)),
        },
      });
    }
    if (ports.service.length > 0) {
      resources.push({
        type: "service",
        metadata: { name, labels },
        spec: { ...(ports.published ? { type: "NodePort" } : {}), selector: labels, ports: ports.service },
      });
    }
  }
  const warnings = [
    ...(ignored.length === 0 ? [] : [`not read by Cube (it runs the rest without them):\n${ignored.map((line) => `  ${line}`).join("\n")}`]),
    ...(notes.length === 0 ? [] : [`read differently by Cube:\n${notes.map((line) => `  ${line}`).join("\n")}`]),
  ];
  return { resources, warnings, problems };
}
