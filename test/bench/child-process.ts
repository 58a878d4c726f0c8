/**
 * Runs a benchmark part in a fresh Node process (same loader flags): a fresh heap and
 * event loop, with no module-level state, sockets or timers left by earlier parts, so
 * a part's numbers are the same whether it runs alone or after the others.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OPTIONS = 'PALETTE_BENCH_CHILD_OPTIONS';
const OUT = 'PALETTE_BENCH_CHILD_OUT';

/** Starts `moduleUrl` (a part that calls {@link childMain}) with `options` and returns what it wrote. */
export async function runInChild<O, R>(moduleUrl: string, options: O, progress: (line: string) => void): Promise<R> {
  const dir = await mkdtemp(join(tmpdir(), 'palette-bench-'));
  const out = join(dir, 'result.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(moduleUrl)], {
        env: { ...process.env, [OPTIONS]: JSON.stringify(options), [OUT]: out },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout.setEncoding('utf8');
      let buffered = '';
      child.stdout.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) progress(line);
      });
      child.on('error', reject);
      child.on('exit', (exitCode) => {
        if (buffered) progress(buffered);
        resolve(exitCode);
      });
    });
    if (code !== 0) throw new Error(`the benchmark process ${fileURLToPath(moduleUrl)} exited with ${code}`);
    return JSON.parse(await readFile(out, 'utf8')) as R;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * In the child: when `moduleUrl` is the process's entry, run the part, write its
 * result and exit (a stray keep-alive socket must not hold the process).
 */
export async function childMain<O, R>(moduleUrl: string, run: (options: O, progress: (line: string) => void) => Promise<R>): Promise<void> {
  if (!process.env[OPTIONS] || !process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  try {
    const result = await run(JSON.parse(process.env[OPTIONS]) as O, (line) => console.log(line));
    await writeFile(process.env[OUT]!, JSON.stringify(result));
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
