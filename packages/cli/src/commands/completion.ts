// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the completion scripts are shell, where ${...} is the shell's
import type { Command } from "commander";
import { CliError, type Io } from "../io.js";

/** The shells `blockwork completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell `blockwork completion` supports. */
export type Shell = (typeof SHELLS)[number];

/** A command of the CLI as completion sees it: words, options, and whether it takes arguments. */
interface CommandInfo {
  /** The words that lead to it: `["runs", "show"]`. */
  readonly path: readonly string[];
  readonly description: string;
  readonly options: readonly OptionInfo[];
  readonly subcommands: readonly CommandInfo[];
  /** Whether it takes positional arguments (then files are completed). */
  readonly takesArguments: boolean;
}

interface OptionInfo {
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  /** Whether a value follows the flag. */
  readonly takesValue: boolean;
  /** The values it accepts, when they are a fixed list. */
  readonly choices?: readonly string[];
}

// Commander keeps these on its Command and Option objects without declaring all of them in its types.
interface CommanderInternals {
  readonly registeredArguments?: readonly unknown[];
}

function describe(command: Command, path: readonly string[]): CommandInfo {
  const options: OptionInfo[] = command.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      ...(o.short ? { short: o.short } : {}),
      ...(o.long ? { long: o.long } : {}),
      description: o.description,
      takesValue: o.required || o.optional,
      ...(o.argChoices ? { choices: o.argChoices } : {}),
    }));
  options.push({ short: "-h", long: "--help", description: "display help for command", takesValue: false });
  const subcommands = command.commands.filter((c) => c.name() !== "help").map((c) => describe(c, [...path, c.name()]));
  return { path, description: command.description(), options, subcommands, takesArguments: ((command as unknown as CommanderInternals).registeredArguments ?? []).length > 0 };
}

function all(info: CommandInfo): CommandInfo[] {
  return [info, ...info.subcommands.flatMap(all)];
}

/** `blockwork completion <shell>`: prints the completion script for `shell` (see its help). */
export async function runCompletion(shell: string, program: Command, io: Io): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(`completion: no completion for shell ${JSON.stringify(shell)}; choose one of ${SHELLS.join(", ")} (blockwork completion bash).`);
  const root = describe(program, []);
  io.out(shell === "fish" ? fishScript(root) : bashScript(root, shell === "zsh"));
  return 0;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function flagsOf(options: readonly OptionInfo[]): string[] {
  return options.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined));
}

/**
 * A bash completion function (zsh runs the same through bashcompinit). It finds the command path
 * among the words typed so far, then offers an option's values, the command's options, or its
 * subcommands; anything else falls back to file names (`complete -o default`).
 */
function bashScript(root: CommandInfo, zsh: boolean): string {
  const commands = all(root);
  const key = (c: CommandInfo) => c.path.join(" ");
  const lines: string[] = [];
  lines.push(`# blockwork completion for ${zsh ? "zsh" : "bash"}. Load it with:`);
  lines.push(zsh ? `#   source <(blockwork completion zsh)      (in ~/.zshrc)` : `#   source <(blockwork completion bash)     (in ~/.bashrc)`);
  // zsh runs the bash function through bashcompinit (its arrays then start at 0, as in bash).
  if (zsh) lines.push("(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }", "(( $+functions[complete] )) || { autoload -U +X bashcompinit && bashcompinit; }");
  // Prefix matching without compgen, whose zsh emulation does not filter by the word typed.
  lines.push('_blockwork_offer() { local w; COMPREPLY=(); for w in "$@"; do [[ "$w" == "$cur"* ]] && COMPREPLY+=("$w"); done; }');
  lines.push("_blockwork_complete() {");
  lines.push('  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" next w i');
  lines.push("  for ((i = 1; i < COMP_CWORD; i++)); do");
  lines.push('    w="${COMP_WORDS[i]}"');
  lines.push('    [[ "$w" == -* ]] && continue');
  lines.push('    next="${cmd:+$cmd }$w"');
  lines.push('    case "$next" in');
  lines.push(`      ${commands.filter((c) => c.path.length > 0).map((c) => quote(key(c))).join("|")}) cmd="$next" ;;`);
  lines.push("    esac");
  lines.push("  done");
  // An option's value: its choices, or files (nothing: complete -o default offers file names).
  lines.push('  case "$cmd|$prev" in');
  for (const c of commands) {
    for (const o of c.options.filter((o) => o.takesValue)) {
      const flags = [o.short, o.long].filter((f): f is string => f !== undefined).map((f) => quote(`${key(c)}|${f}`));
      lines.push(`    ${flags.join("|")}) ${o.choices ? `_blockwork_offer ${o.choices.map(quote).join(" ")}` : "COMPREPLY=()"}; return ;;`);
    }
  }
  lines.push("  esac");
  lines.push('  if [[ "$cur" == -* ]]; then');
  lines.push('    case "$cmd" in');
  for (const c of commands) lines.push(`      ${quote(key(c))}) _blockwork_offer ${flagsOf(c.options).map(quote).join(" ")} ;;`);
  lines.push("    esac");
  lines.push("    return");
  lines.push("  fi");
  lines.push('  case "$cmd" in');
  for (const c of commands.filter((c) => c.subcommands.length > 0)) {
    lines.push(`    ${quote(key(c))}) _blockwork_offer ${c.subcommands.map((s) => quote(s.path.at(-1) as string)).join(" ")} ;;`);
  }
  lines.push("    *) COMPREPLY=() ;;");
  lines.push("  esac");
  lines.push("}");
  lines.push("complete -o default -F _blockwork_complete blockwork");
  return `${lines.join("\n")}\n`;
}

/** A fish completion script: one `complete` line per command, subcommand and option. */
function fishScript(root: CommandInfo): string {
  const lines = ["# blockwork completion for fish. Load it with:", "#   blockwork completion fish > ~/.config/fish/completions/blockwork.fish", "complete -c blockwork -f"];
  // A top-level command may share its name with a nested one (`resume`, `runs resume`).
  const groups = root.subcommands.filter((c) => c.subcommands.length > 0).map((c) => c.path[0] as string);
  const condition = (c: CommandInfo): string => {
    if (c.path.length === 0) return "__fish_use_subcommand";
    const parts = c.path.map((word) => `__fish_seen_subcommand_from ${word}`);
    if (c.path.length === 1 && c.subcommands.length === 0 && groups.length > 0) parts.push(`not __fish_seen_subcommand_from ${groups.join(" ")}`);
    const children = c.subcommands.map((s) => s.path.at(-1) as string);
    if (children.length > 0) parts.push(`not __fish_seen_subcommand_from ${children.join(" ")}`);
    return parts.join("; and ");
  };
  for (const c of all(root)) {
    const when = quote(condition(c));
    for (const s of c.subcommands) lines.push(`complete -c blockwork -n ${when} -a ${quote(s.path.at(-1) as string)} -d ${quote(s.description)}`);
    if (c.takesArguments) lines.push(`complete -c blockwork -n ${when} -F`);
    for (const o of c.options) {
      const flags = [o.short ? `-s ${o.short.slice(1)}` : "", o.long ? `-l ${o.long.slice(2)}` : ""].filter(Boolean).join(" ");
      const value = o.takesValue ? (o.choices ? ` -x -a ${quote(o.choices.join(" "))}` : " -r -F") : "";
      lines.push(`complete -c blockwork -n ${when} ${flags}${value} -d ${quote(o.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
