/**
 * `npm start`: the platform on this machine. DynamoDB Local keeps its data in
 * PALETTE_DATA_DIR; the seeded keys are printed on every start (they are also kept in
 * that folder, since the table only holds their hashes).
 */
import { jobNames } from '#shared/jobs/schedule.ts';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

// Powertools reads these when the handler modules load, so set them before importing:
// locally the terminal shows one log line per request and no EMF metric documents.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { startLocalRuntime } = await import('./runtime.ts');
const { DEMO_ADMIN_EMAIL, DEMO_TENANT } = await import('./seed.ts');
const { ensureConsoleBuilt } = await import('./console-static.ts');

const dataDir = resolve(process.env.PALETTE_DATA_DIR ?? '.palette/data');
const port = Number(process.env.PORT ?? 3000);
const keysFile = join(dataDir, 'seeded-keys.json');

async function rememberedKeys(): Promise<{ adminKey?: string; systemKey?: string }> {
  try {
    return JSON.parse(await readFile(keysFile, 'utf8'));
  } catch {
    return {};
  }
}

/** The local schedule: every scheduled job this often (0 turns it off). */
const jobsInterval = process.env.PALETTE_JOBS_INTERVAL_SECONDS === undefined ? 60 : Number(process.env.PALETTE_JOBS_INTERVAL_SECONDS);

async function main() {
  if (!Number.isFinite(jobsInterval) || jobsInterval < 0) throw new Error(`PALETTE_JOBS_INTERVAL_SECONDS must be a number of seconds (0 turns the schedule off), not ${process.env.PALETTE_JOBS_INTERVAL_SECONDS}`);
  await mkdir(dataDir, { recursive: true });
  const remembered = await rememberedKeys();
  // The web console at /console/: built with vite on the first start (npm run console:build rebuilds it).
  await ensureConsoleBuilt({ log: (line) => console.log(line) });
  const runtime = await startLocalRuntime({
    port,
    dataDir,
    adminKey: process.env.PALETTE_ADMIN_KEY || undefined,
    systemKey: process.env.PALETTE_SYSTEM_KEY || undefined,
    simSpeed: process.env.PALETTE_SIM_SPEED ? Number(process.env.PALETTE_SIM_SPEED) : undefined,
    jobsIntervalSeconds: jobsInterval,
    simEdgeHosts: process.env.PALETTE_SIM_EDGE_HOSTS === undefined ? 3 : Number(process.env.PALETTE_SIM_EDGE_HOSTS),
    simGateway: process.env.PALETTE_SIM_GATEWAY !== '0',
    chartRegistry: process.env.PALETTE_CHART_REGISTRY !== '0' && { port: process.env.PALETTE_CHART_REGISTRY_PORT ? Number(process.env.PALETTE_CHART_REGISTRY_PORT) : undefined },
    log: process.env.PALETTE_VERBOSE ? (line) => console.error(line) : undefined,
  });
  const adminKey = runtime.seeded.adminKey ?? remembered.adminKey;
  const systemKey = runtime.seeded.systemKey ?? remembered.systemKey;
  await writeFile(keysFile, JSON.stringify({ adminKey, systemKey }, null, 2), { mode: 0o600 });

  console.log(`
Palette local runtime is up
  API         ${runtime.url}
  Console     ${runtime.url}/console/ (sign in with the admin key)
  Admin key   ${adminKey ?? '(unknown: set PALETTE_ADMIN_KEY)'}   tenant.admin ${DEMO_ADMIN_EMAIL} of tenant ${DEMO_TENANT}
  System key  ${systemKey ?? '(unknown: set PALETTE_SYSTEM_KEY)'}   system.admin
  Data        ${dataDir}
  DynamoDB    ${runtime.dynamoEndpoint} (DynamoDB Local)
  Charts      ${runtime.chartRegistry ? `${runtime.chartRegistry.url} (Helm repository; OCI: oci://${runtime.chartRegistry.ociHost}/charts)` : 'off'}
  Jobs        ${jobsInterval > 0 ? `every ${jobsInterval} s (PALETTE_JOBS_INTERVAL_SECONDS): ${jobNames.join(', ')}` : 'off (PALETTE_JOBS_INTERVAL_SECONDS=0); run one with POST /v1/system/jobs/{name}'}

Try:
  curl -s -H "Authorization: Bearer ${adminKey}" ${runtime.url}/v1/me
Ctrl-C stops everything.
`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
