/**
 * DynamoDB Local launcher shared by the local runtime and the test suite.
 *
 * AWS's DynamoDB Local jar is taken from the npm package `amplify-dynamodb-simulator`
 * (pinned, hash-verified, fetched with `npm pack` on first use and cached on disk) so
 * that it never becomes a project dependency. It runs as a child Java process (Java 17+).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** Directory for the database file (ignored when `inMemory`). Default `.palette/data`. */
  dataDir?: string;
  /** Keep everything in memory; nothing is written to disk. */
  inMemory?: boolean;
  /** Port to listen on; a free port is picked when omitted. */
  port?: number;
  /** Receives launcher progress and the child's output, one line at a time. */
  log?: (line: string) => void;
}

const SIMULATOR_PACKAGE = 'amplify-dynamodb-simulator';
const SIMULATOR_VERSION = '2.9.30';
/** The registry's published dist.shasum for the tarball. */
const TARBALL_SHA1 = 'a7ec81c475dc309aa15d047d8d03679c8be49189';
/** The registry's published dist.integrity for the tarball. */
const TARBALL_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
/** Computed locally from the verified tarball and pinned here as a third check. */
const TARBALL_SHA256 = '3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9';

const EMULATOR_DIR_NAME = 'emulator';
const MARKER_FILE = '.palette-extracted';
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 250;
const KILL_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 40;

export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17+: install a JDK/JRE (e.g. apt-get install -y openjdk-17-jre-headless) and try again.';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_DATA_DIR = '.palette/data';

function cacheDir(): string {
  return (
    process.env.PALETTE_CACHE_DIR ??
    join(REPO_ROOT, 'node_modules', '.cache', 'palette', `dynamodb-local-${SIMULATOR_VERSION}`)
  );
}

export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const log = options.log;
  await assertJava();
  const emulatorDir = await ensureEmulator(log);
  let port: number;
  if (options.port === undefined) {
    port = await findFreePort();
  } else {
    port = options.port;
    // Otherwise the readiness poll would happily talk to whatever already listens there.
    await assertPortFree(port);
  }

  const args = [
    `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(emulatorDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
  ];
  if (options.inMemory) {
    args.push('-inMemory');
  } else {
    const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    await mkdir(dataDir, { recursive: true });
    args.push('-dbPath', dataDir);
  }
  args.push('-sharedDb', '-disableTelemetry');

  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolveExit(exitInfo);
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError ??= err;
  });
  track(child);

  const tail: string[] = [];
  // A startup exception on the main thread (e.g. "Failed to bind") leaves the JVM running, so
  // watch for it instead of waiting for an exit that never comes.
  let fatalOutput = false;
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    if (line.startsWith('Exception in thread "main"')) fatalOutput = true;
    log?.(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  const endpoint = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopChild(child, exited);
    return stopping;
  };

  const outputTail = (): string => tail.join('\n') || '(no output)';
  const failure = (): Error | undefined => {
    if (spawnError) {
      return (spawnError as NodeJS.ErrnoException).code === 'ENOENT'
        ? new Error(JAVA_MISSING_MESSAGE)
        : new Error(`DynamoDB Local failed to start: ${spawnError.message}`);
    }
    if (exitInfo) {
      const how = exitInfo.signal ? `signal ${exitInfo.signal}` : `code ${exitInfo.code}`;
      return new Error(`DynamoDB Local exited early (${how}). Output:\n${outputTail()}`);
    }
    if (fatalOutput) return new Error(`DynamoDB Local failed to start. Output:\n${outputTail()}`);
    return undefined;
  };

  try {
    await waitUntilReady(endpoint, failure, outputTail);
  } catch (err) {
    await stop();
    throw err;
  }
  log?.(`DynamoDB Local ready at ${endpoint}`);
  return { endpoint, port, stop };
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function stopChild(child: ChildProcess, exited: Promise<ExitInfo>): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

// Never leave an orphaned JVM behind: kill live children when this process exits, and also on
// SIGINT/SIGTERM/SIGHUP, whose default action ends Node without emitting 'exit'. When nobody
// else handles the signal, it is re-raised after the cleanup so the default action still happens.
const liveChildren = new Set<ChildProcess>();
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllChildren(): void {
  for (const child of liveChildren) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  liveChildren.clear();
}

function onParentSignal(signal: NodeJS.Signals): void {
  killAllChildren();
  if (process.listenerCount(signal) === 1) {
    uninstallExitHooks();
    process.kill(process.pid, signal);
  }
}

function installExitHooks(): void {
  process.on('exit', killAllChildren);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onParentSignal);
}

function uninstallExitHooks(): void {
  process.off('exit', killAllChildren);
  for (const signal of FORWARDED_SIGNALS) process.off(signal, onParentSignal);
}

function track(child: ChildProcess): void {
  if (liveChildren.size === 0) installExitHooks();
  liveChildren.add(child);
  const untrack = (): void => {
    if (liveChildren.delete(child) && liveChildren.size === 0) uninstallExitHooks();
  };
  child.once('exit', untrack);
  child.once('error', () => {
    if (child.pid === undefined) untrack();
  });
}

async function waitUntilReady(
  endpoint: string,
  failure: () => Error | undefined,
  outputTail: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    // The first request can block while the JVM finishes initialising; give it time, but bound it.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  try {
    for (;;) {
      const failed = failure();
      if (failed) throw failed;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        const failedMeanwhile = failure();
        if (failedMeanwhile) throw failedMeanwhile;
        return;
      } catch (e) {
        if (failure()) continue; // report the process failure rather than the request error
        lastError = e;
      }
      if (Date.now() > deadline) {
        const reason = lastError instanceof Error ? lastError.message : String(lastError);
        throw new Error(
          `DynamoDB Local did not answer at ${endpoint} within ${READY_TIMEOUT_MS / 1000}s (last error: ${reason}). Output:\n${outputTail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  } finally {
    client.destroy();
  }
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Cannot start DynamoDB Local: port ${port} is already in use.`)
          : err,
      );
    });
    // DynamoDB Local binds every interface, so probe the same way.
    server.listen(port, () => server.close(() => resolveFree()));
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Process helpers

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

function lastLines(text: string, n = 20): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

async function assertJava(): Promise<void> {
  let result: RunResult;
  try {
    result = await run('java', ['-version']);
  } catch {
    throw new Error(JAVA_MISSING_MESSAGE);
  }
  if (result.code !== 0) throw new Error(JAVA_MISSING_MESSAGE);
  // `java -version` prints e.g. `openjdk version "17.0.15" ...` or `java version "1.8.0_401"`.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  if (match) {
    const first = Number(match[1]);
    const major = first === 1 ? Number(match[2] ?? 0) : first;
    if (major < 17) throw new Error(JAVA_MISSING_MESSAGE);
  }
}

// ---------------------------------------------------------------------------------------------
// Fetching the emulator

let emulatorPromise: Promise<string> | undefined;

/** Returns the directory holding DynamoDBLocal.jar, fetching it on first use. */
function ensureEmulator(log?: (line: string) => void): Promise<string> {
  emulatorPromise ??= fetchEmulator(log).catch((err: unknown) => {
    emulatorPromise = undefined;
    throw err;
  });
  return emulatorPromise;
}

async function fetchEmulator(log?: (line: string) => void): Promise<string> {
  const dir = cacheDir();
  const emulatorDir = join(dir, EMULATOR_DIR_NAME);
  if (existsSync(join(emulatorDir, MARKER_FILE))) return emulatorDir;

  log?.(`Fetching DynamoDB Local (${SIMULATOR_PACKAGE}@${SIMULATOR_VERSION}) into ${dir} ...`);
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(join(dir, '.tmp-'));
  try {
    const pack = await run(
      'npm',
      ['pack', `${SIMULATOR_PACKAGE}@${SIMULATOR_VERSION}`, '--pack-destination', tmp],
      tmp,
    ).catch((err: unknown) => {
      throw new Error(`Could not run npm to fetch DynamoDB Local: ${(err as Error).message}`);
    });
    if (pack.code !== 0) {
      throw new Error(
        `npm pack ${SIMULATOR_PACKAGE}@${SIMULATOR_VERSION} failed (exit ${pack.code}):\n${lastLines(pack.stderr + pack.stdout)}`,
      );
    }
    const tarballs = (await readdir(tmp)).filter((f) => f.endsWith('.tgz'));
    const tarballName = tarballs[0];
    if (tarballs.length !== 1 || tarballName === undefined) {
      throw new Error(`npm pack produced ${tarballs.length} tarballs in ${tmp}; expected exactly one`);
    }
    const tarball = join(tmp, tarballName);
    await verifyTarball(tarball);

    const extract = await run('tar', ['-xzf', tarball, '-C', tmp, 'package/emulator/']);
    if (extract.code !== 0) {
      throw new Error(`tar failed to extract ${tarball} (exit ${extract.code}):\n${lastLines(extract.stderr)}`);
    }
    const extracted = join(tmp, 'package', 'emulator');
    if (!existsSync(join(extracted, 'DynamoDBLocal.jar'))) {
      throw new Error(`${tarball} does not contain package/emulator/DynamoDBLocal.jar`);
    }
    await writeFile(
      join(extracted, MARKER_FILE),
      `${SIMULATOR_PACKAGE}@${SIMULATOR_VERSION} sha256=${TARBALL_SHA256}\n`,
    );

    // Publish atomically. If another process got there first, use its (complete) copy.
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(extracted, emulatorDir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EPERM') throw err;
        if (existsSync(join(emulatorDir, MARKER_FILE))) break; // lost the race to a complete copy
        if (attempt > 0) throw err;
        // A leftover, incomplete directory (e.g. from an older layout); replace it once.
        await rm(emulatorDir, { recursive: true, force: true });
      }
    }
    log?.(`DynamoDB Local cached in ${emulatorDir}`);
    return emulatorDir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function verifyTarball(file: string): Promise<void> {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  for await (const chunk of createReadStream(file)) {
    sha1.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
    sha512.update(chunk as Buffer);
  }
  const actual = {
    sha1: sha1.digest('hex'),
    sha256: sha256.digest('hex'),
    integrity: `sha512-${sha512.digest('base64')}`,
  };
  const mismatches: string[] = [];
  if (actual.sha1 !== TARBALL_SHA1) mismatches.push(`sha1 ${actual.sha1} (expected ${TARBALL_SHA1})`);
  if (actual.integrity !== TARBALL_INTEGRITY) {
    mismatches.push(`integrity ${actual.integrity} (expected ${TARBALL_INTEGRITY})`);
  }
  if (actual.sha256 !== TARBALL_SHA256) mismatches.push(`sha256 ${actual.sha256} (expected ${TARBALL_SHA256})`);
  if (mismatches.length > 0) {
    throw new Error(
      `${SIMULATOR_PACKAGE}@${SIMULATOR_VERSION} tarball failed verification: ${mismatches.join('; ')}`,
    );
  }
}
