/**
 * Agent heartbeats at fleet scale through the local runtime (in-memory DynamoDB Local,
 * no beehive, no simulated edge hosts): N edge agents registered over the HTTP API
 * (registration token of the default project, bounded concurrency), then each one
 * heartbeating (`POST /v1/agents/heartbeat`, body `{}`) on its own fixed schedule every
 * `intervalSeconds` for `durationSeconds`, the starts jittered over one interval so the
 * load is spread (an open loop: a beat is sent when it is due, not when the previous one
 * was answered), with at most `maxInFlight` requests in flight (a beat due while the cap
 * is reached waits for a slot; that wait is reported as lag, not latency).
 *
 * Reported: heartbeats sent and answered, the achieved rate, client-measured latency
 * (send → body read), the server-side time of each heartbeat (the local gateway's
 * request start → response finished, read from node:http's diagnostics channels: the
 * event building plus the agents Lambda handler, an upper bound of the handler's own
 * duration), DynamoDB calls per heartbeat by command (a middleware on the handlers'
 * store client; designed to be one UpdateItem), errors; and the baseline: the
 * heartbeat's raw UpdateItem (the same key `AGENTKEY#<hash>` / `#AGENT`, SET lastSeenAt,
 * the same condition, ReturnValues ALL_NEW) sent on the same schedule (same agents,
 * offsets, rate and in-flight cap) through the handlers' own DynamoDB client against the
 * same DynamoDB Local. The write units of that UpdateItem are read afterwards (a few
 * calls, untimed) with ReturnConsumedCapacity INDEXES, for the cost: the agent item is
 * in gsi1 (projection ALL), so moving lastSeenAt rewrites its index entry too.
 *
 * It runs in a child process (runHeartbeatBench, child-process.ts).
 */
import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { childMain, runInChild } from './child-process.ts';
import { countCommands, runLoad, summarize, type LatencySummary } from './stats.ts';

export interface HeartbeatBenchOptions {
  agents: number;
  /** Registrations in flight at once. */
  registerConcurrency: number;
  /** Each agent's heartbeat interval (also PALETTE_AGENT_HEARTBEAT_SECONDS, what the answer tells it). */
  intervalSeconds: number;
  /** How long the measured heartbeating lasts. */
  durationSeconds: number;
  /** How long the raw UpdateItem replay lasts (same rate; shorter to keep the part short). */
  baselineSeconds: number;
  /** Requests in flight at most, for the heartbeats and the replay alike. */
  maxInFlight: number;
}

/** A latency summary with the tail the brief asks for. */
export interface TailSummary extends LatencySummary {
  p95: number;
}

export interface OpenLoopStats {
  /** Beats due in the window (agents x their beats). */
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Answered per second over the window (first due → last answer). */
  achievedPerSecond: number;
  targetPerSecond: number;
  latency: TailSummary;
  /** Due → sent: the scheduler's timer lateness plus any wait for an in-flight slot. */
  lag: TailSummary;
  /** Beats that had to wait for a slot because `maxInFlight` were in flight. */
  waitedForSlot: number;
  maxInFlightSeen: number;
  eventLoopUtilization: number;
}

export interface HeartbeatBenchResult {
  options: HeartbeatBenchOptions;
  runtimeStartMs: number;
  register: { n: number; latency: TailSummary; ddbCallsPerRegistration: Record<string, number>; errors: number };
  heartbeat: OpenLoopStats & {
    /** Server side (gateway request start → response finished) of each answered heartbeat. */
    server: TailSummary;
    /** Sum over heartbeats of the server time rounded up to 1 ms (Lambda bills by the ms), per heartbeat. */
    billedMsPerHeartbeat: number;
    ddbCallsPerHeartbeat: Record<string, number>;
    ddbCallsPerHeartbeatTotal: number;
    /** What a heartbeat answered (the first one): its size and whether tasks came back. */
    answerBytes: number;
    answerSample: unknown;
  };
  baseline: OpenLoopStats & {
    description: string;
    ddbCallsPerOp: Record<string, number>;
    /** Write units of the heartbeat's UpdateItem (ReturnConsumedCapacity), and the agent item's size. */
    writeUnitsPerUpdate: number;
    /** The same, by table and index (ReturnConsumedCapacity INDEXES). */
    writeUnitsPerUpdateBy: Record<string, number>;
    itemBytes: number;
  };
}

const BASE = '/v1/projects/default';
const HEARTBEAT_PATH = '/v1/agents/heartbeat';
const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(samples: readonly number[], wallMs: number): TailSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const p95 = sorted.length ? sorted[Math.min(sorted.length, Math.max(1, Math.ceil(0.95 * sorted.length))) - 1]! : Number.NaN;
  return { ...summarize(sorted, wallMs), p95 };
}

/** A small seeded PRNG, so both phases (and both runs) get the same offsets. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every agent `i` fires at `offsets[i] + k * intervalMs` (k = 0, 1, … while before
 * `durationMs`), at most `maxInFlight` at once. `op` throws (or returns an error kind) on failure.
 */
async function runOpenLoop(
  offsets: readonly number[],
  intervalMs: number,
  durationMs: number,
  maxInFlight: number,
  op: (agent: number) => Promise<string | undefined>,
): Promise<OpenLoopStats> {
  const latencies: number[] = [];
  const lags: number[] = [];
  const errorsByKind: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlightSeen = 0;
  let sent = 0;
  let ok = 0;
  let waitedForSlot = 0;
  let scheduled = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (inFlight >= maxInFlight) {
      waitedForSlot++;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    inFlight++;
    maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
  };
  const release = () => {
    inFlight--;
    waiting.shift()?.();
  };
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now() + 20;
  let lastAnswer = t0;
  const beat = async (agent: number, due: number) => {
    await acquire();
    const sentAt = performance.now();
    lags.push(Math.max(0, sentAt - due));
    sent++;
    let failure: string | undefined;
    try {
      failure = await op(agent);
    } catch (error) {
      failure = (error as { name?: string }).name ?? 'Error';
    }
    const answeredAt = performance.now();
    release();
    lastAnswer = Math.max(lastAnswer, answeredAt);
    if (failure === undefined) {
      ok++;
      latencies.push(answeredAt - sentAt);
    } else errorsByKind[failure] = (errorsByKind[failure] ?? 0) + 1;
  };
  const agentLoop = async (agent: number) => {
    const pending: Array<Promise<void>> = [];
    for (let k = 0; ; k++) {
      const dueOffset = offsets[agent]! + k * intervalMs;
      if (dueOffset >= durationMs) break;
      scheduled++;
      const due = t0 + dueOffset;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      // A beat does not wait for the previous one's answer (a slow answer must not shift the schedule).
      pending.push(beat(agent, due));
    }
    await Promise.all(pending);
  };
  await Promise.all(offsets.map((_, i) => agentLoop(i)));
  const elu = performance.eventLoopUtilization(elu0);
  const windowMs = lastAnswer - t0;
  const errors = Object.values(errorsByKind).reduce((a, b) => a + b, 0);
  return {
    scheduled,
    sent,
    ok,
    errors,
    errorsByKind,
    achievedPerSecond: (ok * 1000) / windowMs,
    targetPerSecond: (offsets.length * 1000) / intervalMs,
    latency: tail(latencies, windowMs),
    lag: tail(lags, windowMs),
    waitedForSlot,
    maxInFlightSeen,
    eventLoopUtilization: elu.utilization,
  };
}

const perOp = (counts: Record<string, number>, n: number) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, n ? v / n : Number.NaN]));
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function benchHeartbeats(options: HeartbeatBenchOptions, progress: (line: string) => void): Promise<HeartbeatBenchResult> {
  // What the heartbeat answer tells agents (and when they count as Unreachable).
  process.env.PALETTE_AGENT_HEARTBEAT_SECONDS = String(options.intervalSeconds);
  // Imported here: handler modules read the log level when they load (run.ts sets it first).
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { storeFromEnv } = await import('#shared/store/client.ts');
  const { keys } = await import('#shared/store/keys.ts');

  const started = performance.now();
  const logTail: string[] = [];
  const runtime = await startLocalRuntime({
    inMemory: true,
    seedBeehive: false,
    simEdgeHosts: 0,
    log: (line) => {
      logTail.push(line);
      if (logTail.length > 40) logTail.shift();
    },
  });
  const runtimeStartMs = performance.now() - started;
  progress(`local runtime up in ${(runtimeStartMs / 1000).toFixed(1)} s`);

  // Server-side time of each heartbeat: the local gateway's request start → response finished.
  const serverStarts = new WeakMap<ServerResponse, number>();
  let serverTimes: number[] = [];
  let measuring = false;
  const onStart = (message: unknown) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (measuring && request.url === HEARTBEAT_PATH) serverStarts.set(response, performance.now());
  };
  const onFinish = (message: unknown) => {
    const { response } = message as { response: ServerResponse };
    const at = serverStarts.get(response);
    if (at !== undefined && response.statusCode === 200) serverTimes.push(performance.now() - at);
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);

  try {
    const post = async (path: string, credential: string, body: unknown) => {
      const res = await fetch(`${runtime.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };

    // ---- A registration token, then N agents registered with it.
    const adminKey = runtime.seeded.adminKey;
    if (!adminKey) throw new Error('the local runtime seeded no admin key');
    const tokenRes = await post(`${BASE}/registrationtokens`, adminKey, { name: 'bench-fleet', kind: 'edge' });
    if (tokenRes.status !== 201) throw new Error(`registration token: HTTP ${tokenRes.status}: ${tokenRes.text.slice(0, 300)}`);
    const token = (JSON.parse(tokenRes.text) as { token: string }).token;

    const counter = countCommands(storeFromEnv().client, 'paletteBenchHeartbeatCallCounter');
    const agents: Array<{ id: string; key: string; keyHash: string }> = [];
    let registerErrors = 0;
    const registered = await runLoad(options.agents, options.registerConcurrency, async (i) => {
      const res = await post('/v1/agents/register', token, {
        name: `bench-edge-${i}`,
        kind: 'edge',
        hardware: { cpu: 4, memoryMiB: 8192, storageGiB: 100, arch: i % 4 === 3 ? 'arm64' : 'amd64' },
      });
      if (res.status !== 201) {
        registerErrors++;
        if (registerErrors <= 3) progress(`register ${i}: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
        return;
      }
      const { id, agentKey } = JSON.parse(res.text) as { id: string; agentKey: string };
      agents[i] = { id, key: agentKey, keyHash: sha256(agentKey) };
    });
    const registerCalls = counter.snapshot();
    if (registerErrors) throw new Error(`${registerErrors} of ${options.agents} registrations failed`);
    const register = {
      n: options.agents,
      latency: tail(registered.samples, registered.wallMs),
      ddbCallsPerRegistration: perOp(registerCalls, options.agents),
      errors: registerErrors,
    };
    progress(
      `${options.agents} agents registered in ${(registered.wallMs / 1000).toFixed(2)} s (${options.registerConcurrency} in flight), ` +
        `p50 ${register.latency.p50.toFixed(1)} ms; DynamoDB calls per registration: ${JSON.stringify(register.ddbCallsPerRegistration)}`,
    );

    // ---- Warm-up (not counted): one heartbeat per agent, as an agent does right after registering.
    let answerSample: unknown;
    let answerBytes = 0;
    await runLoad(agents.length, Math.min(options.maxInFlight, 16), async (i) => {
      const res = await post(HEARTBEAT_PATH, agents[i]!.key, {});
      if (res.status !== 200) throw new Error(`warm-up heartbeat: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
      if (i === 0) {
        answerSample = JSON.parse(res.text);
        answerBytes = Buffer.byteLength(res.text);
      }
    });

    // The same jittered offsets for the heartbeats and the replay.
    const random = mulberry32(0x5eed);
    const intervalMs = options.intervalSeconds * 1000;
    const offsets = agents.map(() => random() * intervalMs);

    // ---- Measured: every agent heartbeating on its schedule.
    counter.reset();
    serverTimes = [];
    measuring = true;
    progress(`heartbeating: ${agents.length} agents every ${options.intervalSeconds} s for ${options.durationSeconds} s (target ${((agents.length * 1000) / intervalMs).toFixed(1)}/s, <= ${options.maxInFlight} in flight)`);
    const hb = await runOpenLoop(offsets, intervalMs, options.durationSeconds * 1000, options.maxInFlight, async (i) => {
      const res = await post(HEARTBEAT_PATH, agents[i]!.key, {});
      return res.status === 200 ? undefined : `HTTP ${res.status}`;
    });
    measuring = false;
    const hbCalls = counter.snapshot();
    const server = tail(serverTimes, hb.latency.wallMs);
    const billedMsPerHeartbeat = serverTimes.reduce((a, t) => a + Math.max(1, Math.ceil(t)), 0) / Math.max(1, serverTimes.length);
    const ddbCallsPerHeartbeat = perOp(hbCalls, hb.sent);
    progress(
      `heartbeats: ${hb.ok}/${hb.sent} answered at ${hb.achievedPerSecond.toFixed(1)}/s, p50 ${hb.latency.p50.toFixed(2)} ms, p99 ${hb.latency.p99.toFixed(2)} ms; ` +
        `DynamoDB calls per heartbeat: ${JSON.stringify(ddbCallsPerHeartbeat)}`,
    );

    // ---- Baseline: the heartbeat's UpdateItem alone, same schedule, the handlers' client.
    const store = storeFromEnv();
    const update = (keyHash: string, extra: Record<string, unknown> = {}) =>
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.agentByKeyHash(keyHash),
        UpdateExpression: 'SET lastSeenAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString() },
        ReturnValues: 'ALL_NEW',
        ...extra,
      });
    counter.reset();
    progress(`raw UpdateItem replay: the same ${agents.length} agents, offsets and cap, for ${options.baselineSeconds} s`);
    const raw = await runOpenLoop(offsets, intervalMs, options.baselineSeconds * 1000, options.maxInFlight, async (i) => {
      const out = await store.doc.send(update(agents[i]!.keyHash));
      return out.Attributes ? undefined : 'no item';
    });
    const rawCalls = counter.snapshot();

    // Write units of that UpdateItem (not timed), and the item's size.
    let writeUnits = 0;
    const writeUnitsBy: Record<string, number> = {};
    let itemBytes = 0;
    const probes = Math.min(5, agents.length);
    for (let i = 0; i < probes; i++) {
      const out = await store.doc.send(update(agents[i]!.keyHash, { ReturnConsumedCapacity: 'INDEXES' }));
      const consumed = out.ConsumedCapacity;
      writeUnits += consumed?.CapacityUnits ?? Number.NaN;
      const add = (name: string, units: number | undefined) => (writeUnitsBy[name] = (writeUnitsBy[name] ?? 0) + (units ?? 0) / probes);
      add('table', consumed?.Table?.CapacityUnits);
      for (const [index, c] of Object.entries(consumed?.GlobalSecondaryIndexes ?? {})) add(index, c.CapacityUnits);
      for (const [index, c] of Object.entries(consumed?.LocalSecondaryIndexes ?? {})) add(index, c.CapacityUnits);
      itemBytes = Math.max(itemBytes, Buffer.byteLength(JSON.stringify(out.Attributes ?? {})));
    }

    return {
      options,
      runtimeStartMs,
      register,
      heartbeat: {
        ...hb,
        server,
        billedMsPerHeartbeat,
        ddbCallsPerHeartbeat,
        ddbCallsPerHeartbeatTotal: sum(ddbCallsPerHeartbeat),
        answerBytes,
        answerSample,
      },
      baseline: {
        ...raw,
        description: 'UpdateItem AGENTKEY#<hash> / #AGENT, SET lastSeenAt, attribute_exists(pk), ReturnValues ALL_NEW (the handlers\' DynamoDB client)',
        ddbCallsPerOp: perOp(rawCalls, raw.sent),
        writeUnitsPerUpdate: writeUnits / probes,
        writeUnitsPerUpdateBy: writeUnitsBy,
        itemBytes,
      },
    };
  } catch (error) {
    progress(`failed; the last lines from the local runtime:\n${logTail.join('\n') || '(none)'}`);
    throw error;
  } finally {
    unsubscribe('http.server.request.start', onStart);
    unsubscribe('http.server.response.finish', onFinish);
    await runtime.stop();
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
  }
}

/** Runs benchHeartbeats in a fresh Node process and returns its result. */
export const runHeartbeatBench = (options: HeartbeatBenchOptions, progress: (line: string) => void) =>
  runInChild<HeartbeatBenchOptions, HeartbeatBenchResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchHeartbeats);
