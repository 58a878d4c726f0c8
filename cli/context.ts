/**
 * What every command needs from the global options: a client for the API it talks
 * to, the project its resources live in, and a printer in the chosen output format.
 */
import type { Command } from 'commander';
import type { PaletteClient } from '../client/index.ts';
import { clientFor, resolveConnection, type StoredConfig } from './config.ts';
import { printer, type OutputFormat, type Printer } from './output.ts';

export interface GlobalOptions {
  url?: string;
  key?: string;
  project: string;
  output: OutputFormat;
}

export interface CliContext {
  client: PaletteClient;
  connection: StoredConfig;
  /** The project path segment: an id or a name, both accepted by the API. */
  project: string;
  out: Printer;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export async function contextOf(command: Command): Promise<CliContext> {
  const options = globalOptions(command);
  const connection = await resolveConnection(options);
  return { client: clientFor(connection), connection, project: options.project, out: printer(options.output) };
}
