/** `palette login`: checks a key against the API and remembers the API and key for later commands. */
import { Command } from 'commander';
import { expectOk, type Schemas } from '../../client/index.ts';
import { checkedUrl, clientFor, configPath, readStoredConfig, storedKeyFor, writeStoredConfig } from '../config.ts';
import { globalOptions } from '../context.ts';
import { UsageError } from '../errors.ts';
import { printer, type Column } from '../output.ts';

type Me = Schemas['Me'];

const meColumns: Column<Me>[] = [
  { header: 'USER', value: (me) => me.user.email },
  { header: 'NAME', value: (me) => me.user.name },
  { header: 'TENANT', value: (me) => me.tenant?.name },
  { header: 'ROLES', value: (me) => [...me.roles, ...me.projectRoles.map((r) => `${r.role}@${r.projectId}`)].join(',') },
];

export function loginCommand(): Command {
  return new Command('login')
    .description('check an API key (GET /v1/me) and store it with the API URL for later commands')
    .addHelpText('after', '\nUses the global --url and --key (or PALETTE_URL / PALETTE_API_KEY). Stored in $PALETTE_CONFIG or ~/.config/palette/config.json, readable by you alone.')
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      const stored = await readStoredConfig();
      const url = options.url ?? (process.env.PALETTE_URL || undefined) ?? stored.url;
      // Without a new key, login checks the stored one again (and shows who it is), never against another API.
      const key = options.key ?? (process.env.PALETTE_API_KEY || undefined) ?? storedKeyFor(stored, url);
      if (!url) throw new UsageError('login needs --url <url> (e.g. http://127.0.0.1:3000)');
      if (!key) throw new UsageError('login needs --key <key> (an API key, plt_…)');
      const connection = { url: checkedUrl(url), key };
      // Stored only once the API accepted it: a typo never replaces a working login.
      const me = await expectOk(clientFor(connection).GET('/v1/me'));
      const path = await writeStoredConfig(connection, configPath());
      const out = printer(options.output);
      if (out.format !== 'table') return out.one(me, meColumns);
      out.text(`Logged in to ${connection.url} as ${me.user.email} (${me.user.name})${me.tenant ? ` of tenant ${me.tenant.name}` : ''}, roles ${me.roles.join(', ')}.`);
      out.note(`Saved to ${path}.`);
    });
}
