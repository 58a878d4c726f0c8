/** How often agents heartbeat, and when one counts as gone quiet. */

/** The interval agents are told to keep: 10 s, unless PALETTE_AGENT_HEARTBEAT_SECONDS says (the local runtime and tests shorten it). */
export function heartbeatSeconds(): number {
  const seconds = Number(process.env.PALETTE_AGENT_HEARTBEAT_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 10;
}

/** Three missed heartbeats, API.md: 30 s by default. */
export const unreachableAfterMs = () => 3 * heartbeatSeconds() * 1000;

export type AgentPhase = 'Ready' | 'Unreachable' | 'InUse';

/** Computed from lastSeenAt at read time: no timer per agent. */
export function agentPhase(agent: { lastSeenAt: string; clusterId?: string | undefined }, now = Date.now()): AgentPhase {
  if (now - Date.parse(agent.lastSeenAt) > unreachableAfterMs()) return 'Unreachable';
  return agent.clusterId ? 'InUse' : 'Ready';
}
