import { Args } from "@oclif/core";
import { CubeCommand } from "../base-command.js";

/** The scripts only pass the words typed to `cube __complete`: what to offer is decided there, names included. */
const SCRIPTS = {
  bash: `# cube completion for bash: source <(cube completion bash), or save it in /etc/bash_completion.d/cube
_cube_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(cube __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _cube_complete cube
`,
  zsh: `#compdef cube
# cube completion for zsh: source <(cube completion zsh), or save it as _cube in a directory of $fpath
_cube_complete() {
  local -a candidates
  candidates=("\${(@f)$(cube __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _cube_complete cube
`,
};

export default class Completion extends CubeCommand {
  static override description = "Print a shell completion script (commands, flags, resource types and the names of existing resources)";
  static override examples = ["source <(<%= config.bin %> completion bash)", "source <(<%= config.bin %> completion zsh)"];
  static override args = { shell: Args.string({ description: "the shell", options: ["bash", "zsh"], required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(SCRIPTS[args.shell as keyof typeof SCRIPTS]);
  }
}
