/** `palette profile …`: app profiles (App Mode) and cluster profiles (Cluster Mode), read-only. */
import { Command, Option } from 'commander';
import { expectOk, type Schemas } from '../../client/index.ts';
import { contextOf, type CliContext } from '../context.ts';
import { CliFailure, NoSuchName } from '../errors.ts';
import { age, type Column } from '../output.ts';
import { collectPages, everyItem, withListOptions, type ListOptions, type Page } from '../resources.ts';

type AppProfile = Schemas['AppProfile'];
type ClusterProfile = Schemas['ClusterProfile'];
type Profile = AppProfile | ClusterProfile;
type Kind = 'app' | 'cluster';

const isAppProfile = (profile: Profile): profile is AppProfile => profile.id.startsWith('ap_');

const profileColumns: Column<Profile>[] = [
  { header: 'ID', value: (p) => p.id },
  { header: 'KIND', value: (p) => (isAppProfile(p) ? 'app' : 'cluster') },
  { header: 'NAME', value: (p) => p.name },
  { header: 'VERSION', value: (p) => p.version },
  { header: 'CONTENTS', value: (p) => (isAppProfile(p) ? p.tiers.map((t) => `${t.name}(${t.type})`).join(',') : `${p.type} ${p.cloud}, ${p.layers.length} layers`) },
  { header: 'AGE', value: (p) => age(p.createdAt) },
];

function pageOf(ctx: CliContext, kind: Kind, name?: string): (query: { limit?: number; cursor?: string }) => Promise<Page<Profile>> {
  const path = { p: ctx.project };
  const filter = name ? { name } : {};
  return kind === 'app'
    ? (query) => expectOk(ctx.client.GET('/v1/projects/{p}/appprofiles', { params: { path, query: { ...query, ...filter } } }))
    : (query) => expectOk(ctx.client.GET('/v1/projects/{p}/clusterprofiles', { params: { path, query: { ...query, ...filter } } }));
}

/**
 * A profile version's id from what a person types: the id itself, `name@version`, or
 * a bare name when only one version of it exists (versions are separate resources).
 */
export async function resolveProfileId(ctx: CliContext, kind: Kind, ref: string): Promise<string> {
  if (ref.startsWith(kind === 'app' ? 'ap_' : 'cp_')) return ref;
  const [name, version] = ref.split('@', 2) as [string, string | undefined];
  const versions = await everyItem(pageOf(ctx, kind, name));
  const matches = versions.filter((p) => p.name === name && (version === undefined || p.version === version));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new NoSuchName(`no ${kind} profile ${ref}`);
  throw new CliFailure(`${kind} profile ${name} has versions ${matches.map((m) => m.version).join(', ')}: give ${name}@<version> or the id`);
}

export function profileCommand(): Command {
  const profile = new Command('profile').description('app profiles and cluster profiles (each version is its own resource)');
  const kindOption = () => new Option('--kind <kind>', 'app or cluster profiles').choices(['app', 'cluster']);

  withListOptions(profile.command('list').description('list profile versions (both kinds unless --kind)'))
    .addOption(kindOption())
    .option('--name <name>', 'only versions of this profile')
    .action(async (options: ListOptions & { kind?: Kind; name?: string }, command: Command) => {
      const ctx = await contextOf(command);
      const kinds: Kind[] = options.kind ? [options.kind] : ['app', 'cluster'];
      // Two lists have no shared cursor: without --kind each is read to its end.
      const pages = await Promise.all(
        kinds.map((kind) => collectPages(kinds.length === 1 ? options : { ...options, cursor: undefined, all: true }, pageOf(ctx, kind, options.name))),
      );
      const page = { items: pages.flatMap((p) => p.items), nextCursor: kinds.length === 1 ? pages[0]!.nextCursor : null };
      ctx.out.list(page, profileColumns, 'profiles');
    });

  profile
    .command('get <id>')
    .description('show a profile version (id, name@version, or a name with one version)')
    .addOption(kindOption())
    .action(async (ref: string, options: { kind?: Kind }, command: Command) => {
      const ctx = await contextOf(command);
      const kind: Kind | undefined = ref.startsWith('ap_') ? 'app' : ref.startsWith('cp_') ? 'cluster' : options.kind;
      if (!kind) {
        // A name may be either kind: the one that has it.
        const found = await Promise.allSettled((['app', 'cluster'] as const).map((k) => resolveProfileId(ctx, k, ref)));
        const ids = found.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        if (ids.length > 1) throw new CliFailure(`both an app and a cluster profile match ${ref}: give --kind`);
        if (ids.length === 0) {
          const failures = found.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
          // An ambiguous name of one kind says more than "none of the other kind".
          throw failures.find((e) => !(e instanceof NoSuchName)) ?? new NoSuchName(`no app or cluster profile ${ref}`);
        }
        return showProfile(ctx, ids[0]!);
      }
      await showProfile(ctx, await resolveProfileId(ctx, kind, ref));
    });

  return profile;
}

async function showProfile(ctx: CliContext, id: string) {
  const path = { p: ctx.project, id };
  const found: Profile = id.startsWith('ap_')
    ? await expectOk(ctx.client.GET('/v1/projects/{p}/appprofiles/{id}', { params: { path } }))
    : await expectOk(ctx.client.GET('/v1/projects/{p}/clusterprofiles/{id}', { params: { path } }));
  ctx.out.one(found, profileColumns);
}
