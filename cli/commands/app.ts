/** `palette app …`: apps deployed from app profiles into virtual clusters. */
import { Command } from 'commander';
import { expectOk, type Schemas } from '../../client/index.ts';
import { contextOf, type CliContext } from '../context.ts';
import { age, type Column } from '../output.ts';
import { collectPages, everyItem, finishAction, resolveId, unlessGone, withListOptions, withWaitOptions, type ListOptions, type WaitOptions } from '../resources.ts';
import { readMappingFile } from '../spec-file.ts';
import { resolveProfileId } from './profile.ts';
import { virtualClusterRef } from './vc.ts';

type App = Schemas['App'];

const appColumns: Column<App>[] = [
  { header: 'ID', value: (app) => app.id },
  { header: 'NAME', value: (app) => app.name },
  { header: 'PHASE', value: (app) => app.status.phase },
  { header: 'PROFILE', value: (app) => `${app.profileName}@${app.profileVersion}` },
  { header: 'REVISION', value: (app) => app.revision },
  { header: 'TIERS', value: (app) => app.status.tiers.map((t) => `${t.name}:${t.phase}`).join(',') },
  { header: 'VIRTUAL CLUSTER', value: (app) => app.virtualClusterId },
  { header: 'UPDATE', value: (app) => app.updateAvailable?.version },
  { header: 'AGE', value: (app) => age(app.createdAt) },
];

function appRef(ctx: CliContext) {
  return {
    prefix: 'app',
    noun: 'app',
    listAll: () => everyItem((query) => expectOk(ctx.client.GET('/v1/projects/{p}/apps', { params: { path: { p: ctx.project }, query } }))),
  };
}

const read = (ctx: CliContext, id: string) => unlessGone(ctx.client.GET('/v1/projects/{p}/apps/{id}', { params: { path: { p: ctx.project, id } } }));

/** A values file: per-tier overrides, `{ <tier>: { image?, replicas?, env?, resources? } }`. */
async function valuesFrom(path: string | undefined): Promise<{ values?: Schemas['AppValues'] }> {
  return path === undefined ? {} : { values: (await readMappingFile(path)) as Schemas['AppValues'] };
}

export function appCommand(): Command {
  const app = new Command('app').description('apps (App Mode)');

  withWaitOptions(app.command('deploy <name>').description('deploy an app profile version into a virtual cluster'))
    .requiredOption('--profile <id>', 'the app profile version (id, or name@version)')
    .requiredOption('--vc <id>', 'the virtual cluster (id or name)')
    .option('--values <file>', 'YAML of per-tier overrides: { <tier>: { image, replicas, env, resources } }')
    .action(async (name: string, options: WaitOptions & { profile: string; vc: string; values?: string }, command: Command) => {
      const values = await valuesFrom(options.values);
      const ctx = await contextOf(command);
      const [appProfileId, virtualClusterId] = await Promise.all([
        resolveProfileId(ctx, 'app', options.profile),
        resolveId(options.vc, virtualClusterRef(ctx)),
      ]);
      const created = await expectOk(
        ctx.client.POST('/v1/projects/{p}/apps', { params: { path: { p: ctx.project } }, body: { name, appProfileId, virtualClusterId, ...values } }),
      );
      await finishAction(ctx, created, options, { columns: appColumns, reread: () => read(ctx, created.id) });
    });

  withListOptions(app.command('list').description('list apps'))
    .option('--vc <id>', 'only the apps of this virtual cluster (id or name)')
    .action(async (options: ListOptions & { vc?: string }, command: Command) => {
      const ctx = await contextOf(command);
      const filter = options.vc ? { virtualClusterId: await resolveId(options.vc, virtualClusterRef(ctx)) } : {};
      const page = await collectPages(options, (query) =>
        expectOk(ctx.client.GET('/v1/projects/{p}/apps', { params: { path: { p: ctx.project }, query: { ...query, ...filter } } })),
      );
      ctx.out.list(page, appColumns, 'apps');
    });

  app
    .command('get <id>')
    .description('show an app (by id or name)')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, appRef(ctx));
      ctx.out.one(await expectOk(ctx.client.GET('/v1/projects/{p}/apps/{id}', { params: { path: { p: ctx.project, id } } })), appColumns);
    });

  withWaitOptions(app.command('upgrade <id>').description('move an app to another version of its profile'))
    .requiredOption('--profile <id>', 'the app profile version (id, or name@version)')
    .option('--values <file>', 'YAML of per-tier overrides, as for deploy')
    .action(async (ref: string, options: WaitOptions & { profile: string; values?: string }, command: Command) => {
      const values = await valuesFrom(options.values);
      const ctx = await contextOf(command);
      const [id, appProfileId] = await Promise.all([resolveId(ref, appRef(ctx)), resolveProfileId(ctx, 'app', options.profile)]);
      const accepted = await expectOk(
        ctx.client.POST('/v1/projects/{p}/apps/{id}/upgrade', { params: { path: { p: ctx.project, id } }, body: { appProfileId, ...values } }),
      );
      await finishAction(ctx, accepted, options, { columns: appColumns, reread: () => read(ctx, id) });
    });

  withWaitOptions(app.command('delete <id>').description('delete an app and what it deployed'))
    .action(async (ref: string, options: WaitOptions, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, appRef(ctx));
      const accepted = await expectOk(ctx.client.DELETE('/v1/projects/{p}/apps/{id}', { params: { path: { p: ctx.project, id } } }));
      await finishAction(ctx, accepted, options, { columns: appColumns, reread: () => read(ctx, id) });
    });

  return app;
}
