import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * Structured logging for every Lambda entry point. Each invocation gets its own child
 * of one Powertools logger, kept in AsyncLocalStorage: the local runtime runs many
 * handlers concurrently in one process, so keys appended by one invocation (a
 * workflow's clusterId, a route) must not leak into another's lines.
 */
const root = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'palette' });
const invocation = new AsyncLocalStorage<Logger>();

const active = () => invocation.getStore() ?? root;

type Extra = Record<string, unknown> | Error;

/** The current invocation's logger (the process logger outside any invocation). */
export const logger = {
  debug: (message: string, extra?: Extra) => (extra ? active().debug(message, extra as never) : active().debug(message)),
  info: (message: string, extra?: Extra) => (extra ? active().info(message, extra as never) : active().info(message)),
  warn: (message: string, extra?: Extra) => (extra ? active().warn(message, extra as never) : active().warn(message)),
  error: (message: string, extra?: Extra) => (extra ? active().error(message, extra as never) : active().error(message)),
  /** Keys for the rest of this invocation only. */
  appendKeys: (keys: Record<string, unknown>) => active().appendKeys(keys as never),
};

/** Runs one invocation of a Lambda handler with a logger of its own, named after its function. */
export function withInvocationLogger<E, R>(
  serviceName: string,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return (event, context) => {
    const log = root.createChild({ serviceName });
    log.addContext(context);
    return invocation.run(log, () => handler(event, context));
  };
}
