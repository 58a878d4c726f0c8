/** `palette op …`: the operations behind long-running actions. */
import { Command, Option } from 'commander';
import { expectOk } from '../../client/index.ts';
import type { Operation } from '../../client/operations.ts';
import { contextOf } from '../context.ts';
import { CliFailure } from '../errors.ts';
import { age, type Column } from '../output.ts';
import { followOperation } from '../progress.ts';
import { collectPages, positiveInteger, withListOptions, type ListOptions } from '../resources.ts';

const operationColumns: Column<Operation>[] = [
  { header: 'ID', value: (op) => op.id },
  { header: 'KIND', value: (op) => op.kind },
  { header: 'RESOURCE', value: (op) => op.resourceId },
  { header: 'STATUS', value: (op) => op.status },
  { header: 'PROGRESS', value: (op) => `${op.progress.done}/${op.progress.total}` },
  { header: 'STEP', value: (op) => (op.steps.find((s) => s.status === 'Running') ?? op.steps.find((s) => s.status === 'Failed'))?.name },
  { header: 'ERROR', value: (op) => op.error?.message },
  { header: 'AGE', value: (op) => age(op.startedAt) },
];

export function operationCommand(): Command {
  const op = new Command('op').description('operations of long-running actions');

  op.command('wait <id>')
    .description('follow an operation to its end; exit 1 if it failed')
    .option('--timeout <seconds>', 'give up waiting after this long (the operation goes on)', positiveInteger, 1800)
    .action(async (id: string, options: { timeout: number }, command: Command) => {
      const ctx = await contextOf(command);
      const operation = await followOperation(ctx.client, id, { timeoutMs: options.timeout * 1000 });
      ctx.out.one(operation, operationColumns);
      if (operation.status === 'Failed') throw new CliFailure(`operation ${operation.id} (${operation.kind}) failed: ${operation.error?.message ?? 'no reason given'}`);
    });

  op.command('get <id>')
    .description('show an operation and its steps')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = await contextOf(command);
      ctx.out.one(await expectOk(ctx.client.GET('/v1/operations/{id}', { params: { path: { id } } })), operationColumns);
    });

  withListOptions(op.command('list').description('list your visible operations, newest first'))
    .option('--resource <id>', 'only the operations of this resource')
    .addOption(new Option('--status <status>', 'only this status').choices(['Running', 'Succeeded', 'Failed']))
    .action(async (options: ListOptions & { resource?: string; status?: Operation['status'] }, command: Command) => {
      const ctx = await contextOf(command);
      const filter = { ...(options.resource ? { resourceId: options.resource } : {}), ...(options.status ? { status: options.status } : {}) };
      const page = await collectPages(options, (query) => expectOk(ctx.client.GET('/v1/operations', { params: { query: { ...query, ...filter } } })));
      ctx.out.list(page, operationColumns, 'operations');
    });

  return op;
}
