/**
 * Walks sharded work lists (gsi2 `KIND#…#<shard>`, `METER#…#<shard>`) page by page:
 * the shards ("lanes") in parallel with a bounded concurrency, each lane's pages in
 * order, stopping when the invocation's budget is spent. Where each lane stopped is
 * the continuation the job stores; the next invocation resumes from it.
 */
import type * as z from 'zod';
import type { Store } from '../store/client.ts';
import type { ListSpec } from '../store/keys.ts';
import { queryPage } from '../store/table.ts';
import { mapLimit, outOfBudget, type JobContext } from './runner.ts';

export interface LaneState {
  /** The cursor of the lane's next page (absent: its first). */
  cursor?: string;
  /** Pages of this lane already processed. */
  page: number;
  done: boolean;
}

export interface Lane {
  id: string;
  list: ListSpec;
}

export interface PageInfo {
  lane: string;
  /** This page's number in its lane (0, 1, …). */
  page: number;
  /** Where the lane continues after this page. */
  next: LaneState;
}

export interface WalkResult {
  lanes: Record<string, LaneState>;
  items: number;
  more: boolean;
}

export async function walkLanes<S extends z.ZodType>(
  store: Store,
  context: Pick<JobContext, 'deadline' | 'maxItems'>,
  lanes: readonly Lane[],
  start: Record<string, LaneState>,
  schema: S,
  options: { pageSize: number; concurrency: number },
  onPage: (items: Array<z.infer<S>>, page: PageInfo) => Promise<void>,
): Promise<WalkResult> {
  const states: Record<string, LaneState> = {};
  for (const lane of lanes) states[lane.id] = start[lane.id] ?? { page: 0, done: false };
  let items = 0;
  await mapLimit(lanes, options.concurrency, async (lane) => {
    let state = states[lane.id]!;
    // Every lane takes at least one page per invocation, so a run always moves on, whatever its bound.
    let first = true;
    while (!state.done && (first || !outOfBudget(context, items, context.maxItems))) {
      first = false;
      const page = await queryPage(store, { ...lane.list, limit: options.pageSize, ...(state.cursor ? { cursor: state.cursor } : {}) }, schema);
      const next: LaneState = page.nextCursor ? { cursor: page.nextCursor, page: state.page + 1, done: false } : { page: state.page + 1, done: true };
      await onPage(page.items, { lane: lane.id, page: state.page, next });
      items += page.items.length;
      state = states[lane.id] = next;
    }
  });
  return { lanes: states, items, more: Object.values(states).some((s) => !s.done) };
}
