/** `palette cluster …`: host clusters (Cluster Mode). */
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
  resolveId,
  unlessGone,
  wholeNumber,
  withListOptions,
  withWaitOptions,
  type ListOptions,
  type WaitOptions,
} from '../resources.ts';
import { readMappingFile } from '../spec-file.ts';
import { resolveProfileId } from './profile.ts';

// A 202 answers with AcceptedHostCluster (operationId always set), a GET with HostCluster: the same columns fit both.
type Cluster = Schemas['HostCluster'] | Schemas['AcceptedHostCluster'];
type Phase = Schemas['HostCluster']['status']['phase'];

const PHASES: Phase[] = ['Pending', 'Provisioning', 'Running', 'Updating', 'Deleting', 'Error'];

const clusterColumns: Column<Cluster>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'NAME', value: (c) => c.name },
  { header: 'PHASE', value: (c) => c.status.phase },
  { header: 'PROVIDER', value: (c) => c.provider },
  { header: 'REGION', value: (c) => c.region },
  { header: 'K8S', value: (c) => c.kubernetesVersion },
  { header: 'NODES', value: (c) => c.nodePools.map((p) => `${p.name}:${p.count}`).join(',') },
  { header: 'HOST', value: (c) => (c.hostCluster.enabled ? 'yes' : 'no') },
  { header: 'AGE', value: (c) => age(c.createdAt) },
];

function clusterRef(ctx: CliContext) {
  return {
    prefix: 'cl',
    noun: 'cluster',
    listAll: () => everyItem((query) => expectOk(ctx.client.GET('/v1/projects/{p}/clusters', { params: { path: { p: ctx.project }, query } }))),
  };
}

const read = (ctx: CliContext, id: string) => unlessGone(ctx.client.GET('/v1/projects/{p}/clusters/{id}', { params: { path: { p: ctx.project, id } } }));

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description('host clusters (Cluster Mode)');

  withWaitOptions(cluster.command('create').description('create a host cluster from a spec file (the API\'s create body, as YAML or JSON)'))
    .requiredOption('-f, --file <spec.yaml>', 'the spec: { name, cloudAccountId, region, profileId, nodePools, … } (- reads stdin)')
    .action(async (options: WaitOptions & { file: string }, command: Command) => {
      // The API validates the spec and answers with every wrong field's path.
      const spec = (await readMappingFile(options.file)) as Schemas['CreateHostCluster'];
      const ctx = await contextOf(command);
      const created = await expectOk(ctx.client.POST('/v1/projects/{p}/clusters', { params: { path: { p: ctx.project } }, body: spec }));
      await finishAction(ctx, created, options, { columns: clusterColumns, reread: () => read(ctx, created.id) });
    });

  withListOptions(cluster.command('list').description('list host clusters'))
    .option('--phase <phase>', `only this phase (${PHASES.join(', ')})`)
    .action(async (options: ListOptions & { phase?: string }, command: Command) => {
      if (options.phase && !PHASES.includes(options.phase as Phase)) throw new UsageError(`--phase must be one of ${PHASES.join(', ')}`);
      const ctx = await contextOf(command);
      const page = await collectPages(options, (query) =>
        expectOk(
          ctx.client.GET('/v1/projects/{p}/clusters', {
            params: { path: { p: ctx.project }, query: { ...query, ...(options.phase ? { phase: options.phase as Phase } : {}) } },
          }),
        ),
      );
      ctx.out.list(page, clusterColumns, 'clusters');
    });

  cluster
    .command('get <id>')
    .description('show a host cluster (by id or name)')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, clusterRef(ctx));
      ctx.out.one(await expectOk(ctx.client.GET('/v1/projects/{p}/clusters/{id}', { params: { path: { p: ctx.project, id } } })), clusterColumns);
    });

  withWaitOptions(cluster.command('scale <id>').description('set the node count of one node pool'))
    .requiredOption('--pool <name>', 'the node pool')
    .requiredOption('--count <n>', 'its new node count (within its min and max)', wholeNumber)
    .action(async (ref: string, options: WaitOptions & { pool: string; count: number }, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, clusterRef(ctx));
      const accepted = await expectOk(
        ctx.client.PATCH('/v1/projects/{p}/clusters/{id}/nodepools/{pool}', {
          params: { path: { p: ctx.project, id, pool: options.pool } },
          body: { count: options.count },
        }),
      );
      await finishAction(ctx, accepted, options, { columns: clusterColumns, reread: () => read(ctx, id) });
    });

  withWaitOptions(cluster.command('upgrade <id>').description('move a cluster to another cluster profile version'))
    .requiredOption('--profile <id>', 'the cluster profile version (id, or name@version)')
    .action(async (ref: string, options: WaitOptions & { profile: string }, command: Command) => {
      const ctx = await contextOf(command);
      const [id, profileId] = await Promise.all([resolveId(ref, clusterRef(ctx)), resolveProfileId(ctx, 'cluster', options.profile)]);
      const accepted = await expectOk(
        ctx.client.POST('/v1/projects/{p}/clusters/{id}/upgrade', { params: { path: { p: ctx.project, id } }, body: { profileId } }),
      );
      await finishAction(ctx, accepted, options, { columns: clusterColumns, reread: () => read(ctx, id) });
    });

  withWaitOptions(cluster.command('delete <id>').description('delete a host cluster (refused while virtual clusters live on it)'))
    .option('--force', 'remove the record whatever the cloud answers (project.admin)')
    .action(async (ref: string, options: WaitOptions & { force?: boolean }, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, clusterRef(ctx));
      const accepted = await expectOk(
        ctx.client.DELETE('/v1/projects/{p}/clusters/{id}', {
          params: { path: { p: ctx.project, id }, ...(options.force ? { query: { force: 'true' as const } } : {}) },
        }),
      );
      await finishAction(ctx, accepted, options, { columns: clusterColumns, reread: () => read(ctx, id) });
    });

  cluster
    .command('kubeconfig <id>')
    .description('print the kubeconfig (project.admin), or --merge it into your kubeconfig as the current context')
    .option('--merge', 'merge into $KUBECONFIG (its first file) or ~/.kube/config and make it the current context')
    .action(async (ref: string, options: { merge?: boolean }, command: Command) => {
      const ctx = await contextOf(command);
      const id = await resolveId(ref, clusterRef(ctx));
      const kubeconfig = await expectOk(
        ctx.client.GET('/v1/projects/{p}/clusters/{id}/kubeconfig', { params: { path: { p: ctx.project, id } }, parseAs: 'text' }),
      );
      await printOrMerge(ctx.out, kubeconfig, options.merge);
    });

  return cluster;
}
