/**
 * `palette`: the command line for the platform's HTTP API (the same API and key as the
 * console). Exit codes: 0 ok, 1 the API or an operation refused (or the API was not
 * reachable), 2 the command line was wrong.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { appCommand } from './commands/app.ts';
import { clusterCommand } from './commands/cluster.ts';
import { loginCommand } from './commands/login.ts';
import { operationCommand } from './commands/op.ts';
import { profileCommand } from './commands/profile.ts';
import { virtualClusterCommand } from './commands/vc.ts';
import { reportError } from './errors.ts';
import { OUTPUT_FORMATS } from './output.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function paletteProgram(): Command {
  const program = new Command('palette')
    .description('Palette platform CLI: virtual clusters, apps, profiles, host clusters, operations')
    .version(version, '-V, --version')
    .option('--url <url>', 'the API origin (default: PALETTE_URL, then the stored login)')
    .option('--key <key>', 'an API key (default: PALETTE_API_KEY, then the stored login)')
    .option('--project <id|name>', 'the project the resources live in', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .showHelpAfterError('(palette --help for usage)')
    .exitOverride()
    // Unknown words are mistakes, not arguments to ignore.
    .allowExcessArguments(false);
  for (const command of [loginCommand(), virtualClusterCommand(), appCommand(), profileCommand(), clusterCommand(), operationCommand()]) {
    program.addCommand(command);
  }
  // A group run without its subcommand shows its help and is a usage error; every subcommand maps commander's errors to exit codes.
  const inherit = (command: Command) => {
    command.exitOverride().showHelpAfterError('(palette --help for usage)').allowExcessArguments(false);
    command.commands.forEach(inherit);
  };
  program.commands.forEach(inherit);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await paletteProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

process.exitCode = await run(process.argv.slice(2));
