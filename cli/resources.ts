/**
 * What the command groups share: list paging (--limit, --cursor, --all), --wait on
 * long actions, names resolved to ids, and option parsers whose refusals are usage errors.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { expectOk, PaletteApiError } from '../client/index.ts';
import type { CliContext } from './context.ts';
import { CliFailure, NoSuchName } from './errors.ts';
import type { Column } from './output.ts';
import { followOperation } from './progress.ts';

// ---- option parsers (commander turns InvalidArgumentError into exit 2) ----

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return Number(value);
}

export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function pageLimit(value: string): number {
  const limit = positiveInteger(value);
  if (limit > 100) throw new InvalidArgumentError('must be between 1 and 100');
  return limit;
}

// ---- lists ----

export interface ListOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export function withListOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'items per page (1-100; the API defaults to 25)', pageLimit)
    .option('--cursor <cursor>', 'the page after this cursor (the nextCursor of an earlier page)')
    .option('--all', 'follow nextCursor and print every page');
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One page, or with --all every page from the cursor on, as one `{ items, nextCursor: null }`. */
export async function collectPages<T>(options: ListOptions, fetchPage: (query: { limit?: number; cursor?: string }) => Promise<Page<T>>): Promise<Page<T>> {
  const query = { ...(options.limit ? { limit: options.limit } : {}), ...(options.cursor ? { cursor: options.cursor } : {}) };
  const first = await fetchPage(query);
  if (!options.all) return first;
  const items = [...first.items];
  let cursor = first.nextCursor;
  while (cursor) {
    const page = await fetchPage({ ...query, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  }
  return { items, nextCursor: null };
}

/** Every item of a list, 100 at a time (for resolving names). */
export function everyItem<T>(fetchPage: (query: { limit?: number; cursor?: string }) => Promise<Page<T>>): Promise<T[]> {
  return collectPages({ limit: 100, all: true }, fetchPage).then((page) => page.items);
}

// ---- names and ids ----

export interface Resolvable {
  /** The id's type prefix, e.g. `vc` for `vc_01J…`. */
  prefix: string;
  noun: string;
  listAll: () => Promise<Array<{ id: string; name: string }>>;
}

/** An id as given, or the id of the one resource with that name (names are DNS labels, ids have an underscore). */
export async function resolveId(ref: string, kind: Resolvable): Promise<string> {
  if (ref.startsWith(`${kind.prefix}_`)) return ref;
  const matches = (await kind.listAll()).filter((item) => item.name === ref);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new NoSuchName(`no ${kind.noun} named ${ref}`);
  throw new CliFailure(`${matches.length} ${kind.noun}s are named ${ref} (${matches.map((m) => m.id).join(', ')}): give the id`);
}

/** The resource, or undefined once it is gone (404). */
export async function unlessGone<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T | undefined> {
  try {
    return await expectOk(call);
  } catch (error) {
    if (error instanceof PaletteApiError && error.status === 404) return undefined;
    throw error;
  }
}

// ---- long-running actions ----

export interface WaitOptions {
  wait?: boolean;
  timeout: number;
}

export function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'follow the operation to its end; exit 1 if it fails')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (the operation goes on)', positiveInteger, 1800);
}

interface Accepted {
  id: string;
  operationId?: string;
}

export interface FinishOptions<T> {
  columns: Column<T>[];
  /** The resource as it is now; undefined when it no longer exists. */
  reread: () => Promise<T | undefined>;
}

/**
 * After a 202: without --wait, the accepted resource and how to follow it; with --wait,
 * the operation followed to its end, then the resource as it ended (or `deleted`),
 * and a failed operation's reason as the error.
 */
export async function finishAction<T extends Accepted>(ctx: CliContext, accepted: T, options: WaitOptions, how: FinishOptions<T>): Promise<void> {
  const operationId = accepted.operationId;
  if (!options.wait || !operationId) {
    ctx.out.one(accepted, how.columns);
    if (operationId) ctx.out.note(`operation ${operationId}: palette op wait ${operationId}`);
    return;
  }
  const operation = await followOperation(ctx.client, operationId, { timeoutMs: options.timeout * 1000 });
  const final = await how.reread();
  if (final) ctx.out.one(final, how.columns);
  else if (ctx.out.format === 'table') ctx.out.text(`${accepted.id} deleted`);
  // The same shape as a resource, so `.status.phase` reads alike after every action.
  else ctx.out.one({ id: accepted.id, status: { phase: 'deleted' } }, []);
  if (operation.status === 'Failed') {
    throw new CliFailure(`operation ${operation.id} (${operation.kind}) failed: ${operation.error?.message ?? 'no reason given'}`);
  }
}
