/**
 * Running the real kubectl against the Kubernetes API emulator: a fresh HOME (kubectl
 * caches discovery and OpenAPI under ~/.kube/cache) and KUBECONFIG per test file, and a
 * request timeout on every call.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The dispatcher users type, and two of the versioned clients it picks from. */
export const KUBECTL = '/usr/bin/kubectl';
export const KUBECTL_1_30 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.30';
export const KUBECTL_1_33 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  (args: string[], options?: { stdin?: string; binary?: string; timeoutMs?: number }): Promise<KubectlResult>;
  readonly home: string;
  readonly kubeconfigPath: string;
  /** Writes `content` to a file in the sandbox and returns its path. */
  file(name: string, content: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function kubectlSandbox(kubeconfig: string): Promise<Kubectl> {
  const home = await mkdtemp(join(tmpdir(), 'kubectl-home-'));
  const kubeconfigPath = join(home, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const run = (args: string[], options: { stdin?: string; binary?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(
        options.binary ?? KUBECTL,
        ['--request-timeout=20s', ...args],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfigPath }, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (options.stdin !== undefined) child.stdin?.end(options.stdin);
      else child.stdin?.end();
    });
  return Object.assign(run, {
    home,
    kubeconfigPath,
    file: async (name: string, content: string) => {
      const path = join(home, name);
      await writeFile(path, content);
      return path;
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  });
}

/** The header and rows of kubectl's table output, split on runs of spaces. */
export function table(stdout: string): { header: string[]; rows: string[][] } {
  const lines = stdout.split('\n').filter((line) => line.trim().length > 0);
  const split = (line: string) => line.trim().split(/\s{2,}/);
  return { header: split(lines[0] ?? ''), rows: lines.slice(1).map(split) };
}
