// The manifest's one schema (zod): what a pod and a deployment may say, with Kubernetes' names and defaults.
import { z } from "zod";
import { RESOURCE_TYPES, type Protocol, type Resource } from "./domain.js";
import { LABEL_KEY, LABEL_VALUE } from "./labels.js";
import { MANIFEST_LIMITS } from "./manifest-limits.js";
import { cpuMillis, memoryBytes } from "./quantities.js";

/** DNS label, as Kubernetes names objects: lowercase alphanumerics and "-", alphanumeric at both ends, ≤ 63. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsLabel = z
  .string()
  .regex(DNS_LABEL, "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");

/** A Docker image reference: [registry[:port]/]path[:tag][@sha256:digest], as distribution/reference accepts. */
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REFERENCE = new RegExp(
  `^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?` +
    `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const image = z
  .string()
  .min(1, "required")
  .max(255)
  .regex(IMAGE_REFERENCE, "must be a valid Docker image reference (e.g. nginx:1.27 or registry:5000/team/app@sha256:...)");

/** Environment variable names as a shell accepts them (no "=", no NUL, no spaces). */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a valid environment variable name");
const atMost = (limit: number, what: string) => `at most ${limit} ${what} (Cube's limit)`;
const labelKey = z.string().regex(LABEL_KEY, "must be a label key: [prefix/]name, alphanumerics, '-', '_', '.', at most 63 characters for the name");
const labelValue = z.string().regex(LABEL_VALUE, "must be a label value: alphanumerics, '-', '_', '.', at most 63 characters");
const noNul = z.string().refine((value) => !value.includes("\0"), "must not contain NUL characters");

const port = z.number().int().min(1).max(65535);
const protocolSchema = z
  .enum(["tcp", "udp", "TCP", "UDP"])
  .transform((protocol) => protocol.toLowerCase() as Protocol)
  .default("tcp");
const portSchema = z.strictObject({
  containerPort: port,
  hostPort: z.union([port, z.literal("auto")]).optional(),
  // Kubernetes writes TCP and UDP.
  protocol: protocolSchema,
  hostIP: z.union([z.ipv4(), z.ipv6()], { error: "must be an IP address" }).optional(),
});

const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, "must be an absolute path")
  .max(4096);
/** A file inside a volume: relative, without "..", so it cannot leave the volume. */
const relativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (path) => !path.startsWith("/") && !path.split("/").some((part) => part === ".." || part === "" || part.startsWith("..")),
    "must be a relative path inside the volume, without '..'",
  );
const volumeMountSchema = z.strictObject({
  name: dnsLabel,
  mountPath: absolutePath,
  readOnly: z.boolean().default(false),
  subPath: relativePath.optional(),
});

const cpuAmount = z.union([z.number(), z.string()]).refine((amount) => (cpuMillis(amount) ?? 0) > 0, 'must be a CPU amount above 0: 0.5 or "500m"');
const memoryAmount = z
  .union([z.number(), z.string()])
  .refine((amount) => (memoryBytes(amount) ?? 0) >= 4 * 2 ** 20, 'must be a memory amount of at least 4Mi (Docker\'s minimum): "256Mi", "1Gi"');

/** A key of a secret or config, as Kubernetes allows: a file name of its own. */
const dataKey = z
  .string()
  .regex(/^[-._a-zA-Z0-9]{1,253}$/, "must be a key: letters, digits, '-', '_' and '.', at most 253 characters")
  .refine((key) => key !== "." && key !== "..", "must not be . or ..");
const fileMode = z.number().int().min(0).max(0o777);
const keyFilesSchema = z.strictObject({
  name: dnsLabel,
  items: z
    .array(z.strictObject({ key: dataKey, path: relativePath, mode: fileMode.optional() }))
    .min(1, "must list at least one key when given")
    .max(MANIFEST_LIMITS.listEntries)
    .superRefine(uniqueBy((item) => item.path, "path", "items", "path"))
    .optional(),
  defaultMode: fileMode.optional(),
});

const empty = z.strictObject({});
const volumeSchema = z
  .strictObject({
    name: dnsLabel,
    emptyDir: empty.optional(),
    persistent: empty.optional(),
    hostPath: z.strictObject({ path: absolutePath }).optional(),
    secret: keyFilesSchema.optional(),
    config: keyFilesSchema.optional(),
  })
  .refine(
    (volume) => [volume.emptyDir, volume.persistent, volume.hostPath, volume.secret, volume.config].filter(Boolean).length === 1,
    "must be one of emptyDir, persistent, hostPath, secret, config",
  );

const keyRef = z.strictObject({ name: dnsLabel, key: dataKey });
/** An env value: a string, or a key of a secret or config. */
const envValue = z.union([noNul, z.strictObject({ secretKeyRef: keyRef }), z.strictObject({ configKeyRef: keyRef })], {
  error: "must be a string, {secretKeyRef: {name, key}} or {configKeyRef: {name, key}}",
});

/** Where each of a list's items is named `key`, the second of a name is refused with the first's index. */
function uniqueBy<T>(key: (item: T) => string, what: string, list: string, field: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const first = seen.get(key(item));
      if (first !== undefined) ctx.addIssue({ code: "custom", path: [index, field], message: `duplicate ${what} "${key(item)}" (also at ${list}[${first}])` });
      else seen.set(key(item), index);
    });
  };
}

const seconds = (minimum: number, fallback: number) => z.number().int().min(minimum).max(86_400).default(fallback);
/** A probe, with Kubernetes' defaults; liveness and startup probes succeed at once or not at all (successThreshold 1). */
const probeSchema = (kind: "liveness" | "readiness" | "startup") =>
  z
    .strictObject({
      exec: z.strictObject({ command: z.array(noNul).min(1, "must not be empty").max(MANIFEST_LIMITS.listEntries) }).optional(),
      httpGet: z
        .strictObject({ path: z.string().startsWith("/", "must start with /").max(2048).default("/"), port, scheme: z.enum(["HTTP", "HTTPS"]).default("HTTP") })
        .optional(),
      tcpSocket: z.strictObject({ port }).optional(),
      initialDelaySeconds: seconds(0, 0),
      periodSeconds: seconds(1, 10),
      timeoutSeconds: seconds(1, 1),
      successThreshold: kind === "readiness" ? seconds(1, 1) : z.literal(1, { error: `must be 1 for a ${kind} probe` }).default(1),
      failureThreshold: seconds(1, 3),
    })
    .refine((probe) => [probe.exec, probe.httpGet, probe.tcpSocket].filter(Boolean).length === 1, "must be one of exec, httpGet, tcpSocket");

/** A Linux capability as Docker names it ("NET_ADMIN", "CAP_NET_ADMIN"), or ALL. */
const capability = z.string().regex(/^(CAP_)?[A-Z_]{2,32}$/, 'must be a capability: "NET_BIND_SERVICE", "CAP_NET_ADMIN" or "ALL"');

const containerSchema = z.strictObject({
  name: dnsLabel,
  image,
  env: z
    .record(envName, envValue)
    .refine((env) => Object.keys(env).length <= MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "variables"))
    .default({}),
  command: z.array(noNul).min(1, "must not be empty when given").max(MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "entries")).optional(),
  args: z.array(noNul).max(MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "entries")).optional(),
  ports: z
    .array(portSchema)
    .max(MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "ports"))
    .superRefine(uniqueBy((p) => `${p.containerPort}/${p.protocol}`, "port", "ports", "containerPort"))
    .optional(),
  volumeMounts: z
    .array(volumeMountSchema)
    .max(MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "mounts"))
    .superRefine(uniqueBy((m) => m.mountPath, "mount path", "volumeMounts", "mountPath"))
    .optional(),
  resources: z.strictObject({ cpu: cpuAmount.optional(), memory: memoryAmount.optional() }).optional(),
  livenessProbe: probeSchema("liveness").optional(),
  readinessProbe: probeSchema("readiness").optional(),
  startupProbe: probeSchema("startup").optional(),
  user: z
    .string()
    .regex(
      /^([a-z_][a-z0-9_.-]{0,31}|\d{1,10})(:([a-z_][a-z0-9_.-]{0,31}|\d{1,10}))?$/,
      'must be a user as Docker takes it: "1000", "1000:1000", "app" or "app:staff"',
    )
    .optional(),
  workingDir: absolutePath.optional(),
  securityContext: z
    .strictObject({
      readOnlyRootFilesystem: z.boolean().optional(),
      capabilities: z.strictObject({ add: z.array(capability).max(64).optional(), drop: z.array(capability).max(64).optional() }).optional(),
    })
    .optional(),
  stopSignal: z
    .string()
    .regex(/^(SIG)?[A-Z][A-Z0-9+-]*$|^\d{1,2}$/, 'must be a signal: "SIGQUIT", "QUIT" or its number')
    .optional(),
  init: z.boolean().optional(),
});

const metadataSchema = z.strictObject({
  name: dnsLabel,
  labels: z.record(labelKey, labelValue).default({}),
});

const podSpecSchema = z
  .strictObject({
    containers: z
      .array(containerSchema)
      .min(1, "must list at least one container")
      .max(MANIFEST_LIMITS.containersPerPod, atMost(MANIFEST_LIMITS.containersPerPod, "containers per pod"))
      .superRefine(uniqueBy((container) => container.name, "container name", "containers", "name")),
    restartPolicy: z.enum(["Always", "OnFailure", "Never"]).default("Always"),
    restart: z
      .strictObject({
        // Below 0.1 s a back-off is no back-off (Docker's own restart delay starts at 0.1 s).
        initialBackoffSeconds: z.number().min(0.1).max(3600),
        maxBackoffSeconds: z.number().min(0.1).max(86_400),
        resetAfterSeconds: z.number().min(1).max(86_400),
        maxFailures: z.number().int().min(1).max(1000),
      })
      .partial()
      .optional(),
    terminationGracePeriodSeconds: z.number().int().min(0).max(3600).default(10),
    volumes: z
      .array(volumeSchema)
      .max(MANIFEST_LIMITS.listEntries, atMost(MANIFEST_LIMITS.listEntries, "volumes"))
      .superRefine(uniqueBy((v) => v.name, "volume name", "volumes", "name"))
      .optional(),
    nodeSelector: z.record(labelKey, labelValue).optional(),
    hostname: dnsLabel.optional(),
    // The node's own network instead of the pod network (admitted only where the leader allows it).
    hostNetwork: z.boolean().optional(),
    imagePullSecrets: z
      .array(z.strictObject({ name: dnsLabel }))
      .max(100, atMost(100, "pull secrets"))
      .superRefine(uniqueBy((s) => s.name, "pull secret", "imagePullSecrets", "name"))
      .optional(),
    dependsOn: z
      .array(z.strictObject({ name: dnsLabel, condition: z.enum(["Started", "Ready", "Succeeded"]).default("Started") }))
      .max(100, atMost(100, "dependencies"))
      .superRefine(uniqueBy((d) => d.name, "dependency", "dependsOn", "name"))
      .optional(),
  })
  .superRefine((spec, ctx) => {
    // A mount names a volume of the pod; a host port is published once per protocol and address.
    const published = new Map<string, string>();
    spec.containers.forEach((container, c) => {
      (container.volumeMounts ?? []).forEach((mount, m) => {
        const volume = spec.volumes?.find((v) => v.name === mount.name);
        if (!volume) ctx.addIssue({ code: "custom", path: ["containers", c, "volumeMounts", m, "name"], message: `no volume "${mount.name}" in spec.volumes` });
        else if (mount.subPath !== undefined && !volume.secret && !volume.config)
          ctx.addIssue({
            code: "custom",
            path: ["containers", c, "volumeMounts", m, "subPath"],
            message: "only a secret or config volume mounts one of its files alone",
          });
      });
      (container.ports ?? []).forEach((port, p) => {
        if (port.hostPort === undefined || port.hostPort === "auto") return;
        const key = `${port.hostIP ?? "*"}:${port.hostPort}/${port.protocol}`;
        const first = published.get(key);
        if (first)
          ctx.addIssue({
            code: "custom",
            path: ["containers", c, "ports", p, "hostPort"],
            message: `host port ${port.hostPort}/${port.protocol} is published twice (also at ${first})`,
          });
        else published.set(key, `containers[${c}].ports[${p}]`);
      });
    });
  });

/** A workload that waits for itself would never be placed: `specPath` leads to its pod spec, `spec` is that spec. */
const notWaitingForItself =
  <T extends { metadata: { name: string } }>(specPath: string[], spec: (resource: T) => { dependsOn?: { name: string }[] }) =>
  (resource: T, ctx: z.RefinementCtx) => {
    const index = (spec(resource).dependsOn ?? []).findIndex((dependency) => dependency.name === resource.metadata.name);
    if (index >= 0) ctx.addIssue({ code: "custom", path: [...specPath, "dependsOn", index, "name"], message: "a workload cannot wait for itself" });
  };

export const podSchema = z
  .strictObject({ type: z.literal("pod"), metadata: metadataSchema, spec: podSpecSchema })
  .superRefine(notWaitingForItself(["spec"], (pod) => pod.spec));

/** maxSurge and maxUnavailable: a number of pods, or a percentage of the replicas. */
const rolloutBound = z.union([z.number().int().min(0).max(10_000), z.string().regex(/^\d{1,3}%$/, 'must be a number or a percentage such as "25%"')]);
const defaultBounds = { maxSurge: "25%", maxUnavailable: "25%" };

/** A deployment, with Kubernetes' shape and defaults. */
export const deploymentSchema = z
  .strictObject({
    type: z.literal("deployment"),
    metadata: metadataSchema,
    spec: z.strictObject({
      replicas: z.number().int().min(0).max(MANIFEST_LIMITS.replicas).default(1),
      template: z.strictObject({
        metadata: z
          .strictObject({
            labels: z.record(labelKey, labelValue).default({}),
            // Notes that change the template without changing its pods (`cube rollout restart` writes one).
            annotations: z.record(labelKey, z.string().max(4096)).optional(),
          })
          .default({ labels: {} }),
        spec: podSpecSchema,
      }),
      strategy: z
        .discriminatedUnion("type", [
          z.strictObject({
            type: z.literal("RollingUpdate"),
            rollingUpdate: z.strictObject({ maxSurge: rolloutBound.default("25%"), maxUnavailable: rolloutBound.default("25%") }).default(defaultBounds),
          }),
          z.strictObject({ type: z.literal("Recreate") }),
        ])
        .refine(
          (strategy) => strategy.type === "Recreate" || strategy.rollingUpdate.maxSurge !== 0 || strategy.rollingUpdate.maxUnavailable !== 0,
          "maxSurge and maxUnavailable cannot both be 0: the rollout could never start",
        )
        .default({ type: "RollingUpdate", rollingUpdate: defaultBounds }),
      minReadySeconds: z.number().int().min(0).max(86_400).default(0),
      progressDeadlineSeconds: z.number().int().min(1).max(86_400).default(600),
      revisionHistoryLimit: z.number().int().min(0).max(100).default(10),
      autoRollback: z.boolean().default(true),
    }),
  })
  .superRefine(notWaitingForItself(["spec", "template", "spec"], (deployment) => deployment.spec.template.spec));

/** A service's port; `targetPort` is `port` unless given; a `nodePort` left out is chosen by the leader. */
const servicePortSchema = z
  .strictObject({ name: dnsLabel.optional(), port, targetPort: port.optional(), protocol: protocolSchema, nodePort: port.optional() })
  .transform(({ targetPort, ...rest }) => ({ ...rest, targetPort: targetPort ?? rest.port }));

/** A service, with Kubernetes' shape where it fits (no apiVersion, no clusterIP of the user's: the leader gives it). */
export const serviceSchema = z.strictObject({
  type: z.literal("service"),
  metadata: metadataSchema,
  spec: z
    .strictObject({
      type: z.enum(["ClusterIP", "NodePort"]).default("ClusterIP"),
      selector: z.record(labelKey, labelValue).refine((selector) => Object.keys(selector).length > 0, "must select pods by at least one label"),
      ports: z
        .array(servicePortSchema)
        .min(1, "must list at least one port")
        .max(100, atMost(100, "ports per service"))
        .superRefine(uniqueBy((p) => `${p.port}/${p.protocol}`, "port", "ports", "port"))
        .superRefine((ports, ctx) => {
          // As Kubernetes: with several ports, each is named (clients and `cube get` tell them apart by name).
          if (ports.length > 1)
            ports.forEach(
              (p, index) =>
                p.name === undefined && ctx.addIssue({ code: "custom", path: [index, "name"], message: "required when a service has several ports" }),
            );
        }),
      externalTrafficPolicy: z.enum(["Cluster", "Local"]).default("Cluster"),
    })
    .superRefine((spec, ctx) => {
      if (spec.type === "NodePort") return;
      spec.ports.forEach((p, index) => {
        if (p.nodePort !== undefined)
          ctx.addIssue({ code: "custom", path: ["ports", index, "nodePort"], message: "only a service of type NodePort has node ports" });
      });
      if (spec.externalTrafficPolicy === "Local")
        ctx.addIssue({ code: "custom", path: ["externalTrafficPolicy"], message: "Local applies to a NodePort service's outside traffic only" });
    }),
});

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const keyedData = {
  data: z.record(dataKey, z.string()).optional(),
  binaryData: z.record(dataKey, z.string().regex(BASE64, "must be base64")).optional(),
};

/** A secret's or config's keys, each once across data and binaryData, and their bytes within Cube's limit. */
function checkKeyedData(value: { data?: Record<string, string>; binaryData?: Record<string, string> }, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(value.binaryData ?? {}))
    if (value.data && Object.hasOwn(value.data, key)) ctx.addIssue({ code: "custom", path: ["binaryData", key], message: `key "${key}" is also in data` });
  const bytes =
    Object.values(value.data ?? {}).reduce((sum, text) => sum + Buffer.byteLength(text), 0) +
    Object.values(value.binaryData ?? {}).reduce((sum, text) => sum + Buffer.from(text, "base64").length, 0);
  if (bytes > MANIFEST_LIMITS.keyedDataBytes)
    ctx.addIssue({ code: "custom", path: [], message: `holds ${bytes} bytes: at most ${MANIFEST_LIMITS.keyedDataBytes} (1 MiB, Cube's limit)` });
}

export const configSchema = z.strictObject({ type: z.literal("config"), metadata: metadataSchema, ...keyedData }).superRefine(checkKeyedData);

const registrySchema = z.union(
  [
    z.strictObject({ server: z.string().min(1).max(255), username: z.string().min(1).max(1024), password: z.string().min(1).max(16_384) }),
    z.strictObject({ dockerConfigJson: z.string().min(1) }),
  ],
  { error: "must be {server, username, password} or {dockerConfigJson}" },
);

/** A secret: data, or a registry's credentials (for imagePullSecrets), not both. */
export const secretSchema = z
  .strictObject({ type: z.literal("secret"), metadata: metadataSchema, ...keyedData, registry: registrySchema.optional() })
  .superRefine((secret, ctx) => {
    checkKeyedData(secret, ctx);
    if (secret.registry && (secret.data || secret.binaryData))
      ctx.addIssue({ code: "custom", path: ["registry"], message: "a registry secret holds its credentials only (no data, no binaryData)" });
    if (secret.registry && "dockerConfigJson" in secret.registry) {
      let auths: unknown;
      try {
        auths = (JSON.parse(secret.registry.dockerConfigJson) as { auths?: unknown }).auths;
      } catch {
        auths = undefined;
      }
      if (typeof auths !== "object" || auths === null)
        ctx.addIssue({ code: "custom", path: ["registry", "dockerConfigJson"], message: 'must be a Docker config.json with "auths"' });
    }
  });

export const schemas: Record<(typeof RESOURCE_TYPES)[number], z.ZodType<Resource>> = {
  pod: podSchema,
  deployment: deploymentSchema as z.ZodType<Resource>,
  service: serviceSchema as z.ZodType<Resource>,
  secret: secretSchema as z.ZodType<Resource>,
  config: configSchema as z.ZodType<Resource>,
};
