/** `palette vc …`: App Mode virtual clusters. */
import { Command } from 'commander';
import { expectOk, type Schemas } from '../../client/index.ts';
import { contextOf, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { printOrMerge } from '../kubeconfig.ts';
import { age, type Column } from '../output.ts';
import {
  collectPages,
  everyItem,
  finishAction,
  positiveInteger,
  resolveId,
  unlessGone,
  wholeNumber,
  withListOptions,
  withWaitOptions,
  type ListOptions,
  type WaitOptions,
} from '../resources.ts';

type VirtualCluster = Schemas['VirtualCluster'];
type Phase = VirtualCluster['status']['phase'];

const PHASES: Phase[] = ['Pending', 'Provisioning', 'Running', 'Pausing', 'Paused', 'Resuming', 'Deleting', 'Error'];
/** The API's defaults, sent whole when only some sizes are given (the body takes all of them). */
const DEFAULT_RESOURCES = { cpu: 4, memoryMiB: 4096, storageGiB: 2, gpu: 0 };

export const virtualClusterColumns: Column<VirtualCluster>[] = [
  { header: 'ID', value: (vc) => vc.id },
  { header: 'NAME', value: (vc) => vc.name },
  { header: 'PHASE', value: (vc) => vc.status.phase },
  { header: 'CPU', value: (vc) => vc.resources.cpu },
  { header: 'MEMORY', value: (vc) => `${vc.resources.memoryMiB}Mi` },
  { header: 'STORAGE', value: (vc) => `${vc.resources.storageGiB}Gi` },
  { header: 'GROUP', value: (vc) => vc.clusterGroupId },
  { header: 'AGE', value: (vc) => age(vc.createdAt) },
];

interface SizeOptions {
  cpu?: number;
  memoryMib?: number;
  storageGib?: number;
  gpu?: number;
}

function withSizeOptions(command: Command): Command {
  return command
    .option('--cpu <cores>', 'CPU cores (at least 4)', positiveInteger)
    .option('--memory-mib <mib>', 'memory in MiB (at least 4096)', positiveInteger)
    .option('--storage-gib <gib>', 'storage in GiB (at least 2; it can grow, not shrink)', positiveInteger)
    .option('--gpu <count>', 'GPUs (only in groups with GPU hosts)', wholeNumber);
}

function sizesGiven(options: SizeOptions) {
  return {
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
    ...(options.memoryMib !== undefined ? { memoryMiB: options.memoryMib } : {}),
    ...(options.storageGib !== undefined ? { storageGiB: options.storageGib } : {}),
    ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
  };
}

export function virtualClusterRef(ctx: CliContext) {
  return {
    prefix: 'vc',
    noun: 'virtual cluster',
    listAll: () =>
      everyItem((query) => expectOk(ctx.client.GET('/v1/projects/{p}/virtualclusters', { params: { path: { p: ctx.project }, query } }))),
  };
}

const read = (ctx: CliContext, id: string) =>
  unlessGone(ctx.client.GET('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: ctx.project, id } } }));

export function virtualClusterCommand(): Command {
  const vc = new Command('vc').description('virtual clusters (App Mode)');

  withWaitOptions(withSizeOptions(vc.command('create <name>').description('create a virtual cluster (in beehive unless --group)')))
    .option('--group <id>', 'the cluster group (default beehive)')
    .option('--sleep-after-minutes <minutes>', 'pause it after this long without activity', positiveInteger)
    .action(async (name: string, options: SizeOptions & WaitOptions & { group?: string; sleepAfterMinutes?: number }, command: Command) => {
      const ctx = await contextOf(command);
      const sizes = sizesGiven(options);
      const created = await expectOk(
        ctx.client.POST('/v1/projects/{p}/virtualclusters', {
          params: { path: { p: ctx.project } },
          body: {
            name,
            clusterGroupId: options.group ?? 'beehive',
            ...(Object.keys(sizes).length > 0 ? { resources: { ...DEFAULT_RESOURCES, ...sizes } } : {}),
            ...(options.sleepAfterMinutes !== undefined ? { sleepAfterMinutes: options.sleepAfterMinutes } : {}),
          },
        }),
      );
      await finishAction(ctx, created, options, { columns: virtualClusterColumns, reread: () => read(ctx, created.id) });
    });

  withListOptions(vc.command('list').description('list virtual clusters'))
    .option('--phase <phase>', `only this phase (${PHASES.join(', ')})`)
    .action(async (options: ListOptions & { phase?: string }, command: Command) => {
      const ctx = await contextOf(command);
      if (options.phase && !PHASES.includes(options.phase as Phase)) throw new UsageError(`--phase must be one of ${PHASES.join(', ')}`);
      const page = await collectPages(options, (query) =>
        expectOk(
          ctx.client.GET('/v1/projects/{p}/virtualclusters', {
            params: { path: { p: ctx.project }, query: { ...query, ...(options.phase ? { phase: options.phase as Phase } : {}) } },
          }),
        ),
      );
      ctx.out.list(page, virtualClusterColumns, 'virtual clusters');
    });

  vc.command('get <id>')
    .description('show a virtual cluster (by id or name)')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, virtualClusterRef(ctx));
      const found = await expectOk(ctx.client.GET('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: ctx.project, id } } }));
      ctx.out.one(found, virtualClusterColumns);
    });

  for (const action of ['pause', 'resume'] as const) {
    withWaitOptions(vc.command(`${action} <id>`).description(action === 'pause' ? 'pause: control plane scaled to zero (still counts in the quota)' : 'resume a paused virtual cluster'))
      .action(async (ref: string, options: WaitOptions, command: Command) => {
        const ctx = await contextOf(command);
        const id = await resolveId(ref, virtualClusterRef(ctx));
        const params = { params: { path: { p: ctx.project, id } } };
        const accepted = await expectOk(
          action === 'pause'
            ? ctx.client.POST('/v1/projects/{p}/virtualclusters/{id}/pause', params)
            : ctx.client.POST('/v1/projects/{p}/virtualclusters/{id}/resume', params),
        );
        await finishAction(ctx, accepted, options, { columns: virtualClusterColumns, reread: () => read(ctx, id) });
      });
  }

  withWaitOptions(withSizeOptions(vc.command('resize <id>').description('change the resources (quota-checked)')))
    .action(async (ref: string, options: SizeOptions & WaitOptions, command: Command) => {
      const resources = sizesGiven(options);
      if (Object.keys(resources).length === 0) throw new UsageError('resize needs at least one of --cpu, --memory-mib, --storage-gib, --gpu');
      const ctx = await contextOf(command);
      const id = await resolveId(ref, virtualClusterRef(ctx));
      const accepted = await expectOk(
        ctx.client.PATCH('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: ctx.project, id } }, body: { resources } }),
      );
      await finishAction(ctx, accepted, options, { columns: virtualClusterColumns, reread: () => read(ctx, id) });
    });

  withWaitOptions(vc.command('delete <id>').description('delete a virtual cluster and its apps'))
    .action(async (ref: string, options: WaitOptions, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, virtualClusterRef(ctx));
      const accepted = await expectOk(ctx.client.DELETE('/v1/projects/{p}/virtualclusters/{id}', { params: { path: { p: ctx.project, id } } }));
      await finishAction(ctx, accepted, options, { columns: virtualClusterColumns, reread: () => read(ctx, id) });
    });

  vc.command('kubeconfig <id>')
    .description('print the kubeconfig, or --merge it into your kubeconfig as the current context')
    .option('--merge', 'merge into $KUBECONFIG (its first file) or ~/.kube/config and make it the current context')
    .action(async (ref: string, options: { merge?: boolean }, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, virtualClusterRef(ctx));
      const kubeconfig = await expectOk(
        ctx.client.GET('/v1/projects/{p}/virtualclusters/{id}/kubeconfig', { params: { path: { p: ctx.project, id } }, parseAs: 'text' }),
      );
      await printOrMerge(ctx.out, kubeconfig, options.merge);
    });

  return vc;
}
