// Every command of the CLI, by oclif id: oclif finds them here (its "explicit" strategy), so that the CLI can be one
// bundled file that starts fast. A new command is added here.
import type { Command } from "@oclif/core";
import Complete from "./commands/__complete.js";
import Apply from "./commands/apply.js";
import Completion from "./commands/completion.js";
import Convert from "./commands/convert.js";
import Cordon from "./commands/cordon.js";
import CreateConfig from "./commands/create/config.js";
import CreateSecret from "./commands/create/secret.js";
import SecretsRotateKey from "./commands/secrets/rotate-key.js";
import Delete from "./commands/delete.js";
import Drain from "./commands/drain.js";
import Events from "./commands/events.js";
import Exec from "./commands/exec.js";
import Get from "./commands/get.js";
import Help from "./commands/help.js";
import List from "./commands/list.js";
import Logs from "./commands/logs.js";
import NodeApprove from "./commands/node/approve.js";
import NodeRm from "./commands/node/rm.js";
import Nodes from "./commands/nodes.js";
import PortForward from "./commands/port-forward.js";
import Restart from "./commands/restart.js";
import RolloutHistory from "./commands/rollout/history.js";
import RolloutRestart from "./commands/rollout/restart.js";
import RolloutStatus from "./commands/rollout/status.js";
import RolloutUndo from "./commands/rollout/undo.js";
import Scale from "./commands/scale.js";
import TokenRotate from "./commands/token/rotate.js";
import Top from "./commands/top.js";
import Uncordon from "./commands/uncordon.js";
import Version from "./commands/version.js";

export const COMMANDS: Record<string, Command.Class> = {
  __complete: Complete,
  apply: Apply,
  completion: Completion,
  convert: Convert,
  cordon: Cordon,
  "create:config": CreateConfig,
  "create:secret": CreateSecret,
  "secrets:rotate-key": SecretsRotateKey,
  delete: Delete,
  drain: Drain,
  events: Events,
  exec: Exec,
  get: Get,
  help: Help,
  list: List,
  logs: Logs,
  "node:approve": NodeApprove,
  "node:rm": NodeRm,
  nodes: Nodes,
  "port-forward": PortForward,
  restart: Restart,
  "rollout:history": RolloutHistory,
  "rollout:restart": RolloutRestart,
  "rollout:status": RolloutStatus,
  "rollout:undo": RolloutUndo,
  scale: Scale,
  "token:rotate": TokenRotate,
  top: Top,
  uncordon: Uncordon,
  version: Version,
};

export { default as COMMAND_NOT_FOUND } from "./hooks/command-not-found.js";
