import { createRegistrationToken } from '#shared/agents/agents.ts';
import { heartbeatSeconds } from '#shared/agents/heartbeat.ts';
import { createTx } from '#shared/store/tx.ts';
import { DEFAULT_PROJECT, findProject } from '#shared/tenancy/projects.ts';
import { defaultEdgeHosts, startSimEdgeHosts, startSimGateway } from './sim-agents.ts';
import { createCloudAccount, listCloudAccounts } from '#shared/cloud-accounts/cloud-accounts.ts';
import type { CreateCloudAccountInput } from '#shared/cloud-accounts/schemas.ts';
import { instanceTypes } from '#shared/host-clusters/instance-types.ts';
import type { KubeEmulator } from './kube-emulator/index.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput, tableDefinition } from '#shared/store/table-definition.ts';
import { createStore, type Store } from '#shared/store/client.ts';
import { resumeRunningOperations } from '#shared/operations/recovery.ts';
import { recoveries } from '#shared/operations/recoveries.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { startApiServer } from './api-server.ts';
import { seed, type SeedResult } from './seed.ts';
import { seedBeehive } from './seed-beehive.ts';
import { startKubeEmulator } from './kube-emulator/index.ts';
import { startSimCloud } from './sim-cloud.ts';
import { startWorkflowRuntime } from './workflow-runtime.ts';
import { startLocalLambda } from './lambda-endpoint.ts';
import { startJobTimer } from './job-timer.ts';
import { startChartRegistry, type ChartRegistry } from './chart-registry.ts';
import { seedLocalCharts } from './seed-charts.ts';
import { SCHEDULED_FUNCTION, SCHEDULED_FUNCTION_TIMEOUT_SECONDS } from '#shared/jobs/schedule.ts';
import { PROVIDER_FUNCTION_TIMEOUT_SECONDS, providerFunctions } from '#shared/providers/remote/functions.ts';

export interface LocalRuntimeOptions {
  port?: number;
  /** DynamoDB Local's files; ignored when `dynamoEndpoint` is given or `inMemory`. */
  dataDir?: string;
  inMemory?: boolean;
  /** Use an already running DynamoDB Local (tests share one per run). */
  dynamoEndpoint?: string;
  tableName?: string;
  adminKey?: string;
  systemKey?: string;
  /** Seed the system group beehive on sim host clusters (default true). */
  seedBeehive?: boolean;
  /** Nodes (sim.4xlarge) per beehive host when it is first seeded (default 2: room for 76 default virtual clusters). */
  beehiveNodesPerHost?: number;
  /** PALETTE_SIM_SPEED: divides simulated provider times and Wait states. */
  simSpeed?: number;
  /**
   * PALETTE_JOBS_INTERVAL_SECONDS: run every scheduled job this often (the local
   * EventBridge schedule). Default 0: no timer (tests run jobs on demand); `npm start` sets 60.
   */
  jobsIntervalSeconds?: number;
  /**
   * PALETTE_SIM_EDGE_HOSTS: simulated edge hosts registered in the demo tenant's default
   * project at start, real clients of the agent protocol (default 0; `npm start` sets 3).
   */
  simEdgeHosts?: number;
  /** A simulated data-centre gateway serving the vsphere cloud account `lab` of the default project (default false; `npm start` sets true). */
  simGateway?: boolean;
  /**
   * The local chart registry (infra/local/chart-registry.ts): a Helm repository and OCI
   * registry on loopback serving the charts of infra/local/charts (default false; `npm
   * start` starts it unless PALETTE_CHART_REGISTRY=0, on PALETTE_CHART_REGISTRY_PORT when
   * set). With `auth`, it wants those basic-auth credentials.
   */
  chartRegistry?: boolean | { auth?: { username: string; password: string }; port?: number };
  /** Resume the operations still Running at start (their executions lived in memory; default true). */
  resumeOperations?: boolean;
  log?: (line: string) => void;
}

export interface LocalRuntime {
  url: string;
  port: number;
  store: Store;
  seeded: SeedResult;
  dynamoEndpoint: string;
  stepFunctionsEndpoint: string;
  simEndpoint: string;
  /** The simulated edge hosts, when started. */
  edgeHosts: Awaited<ReturnType<typeof startSimEdgeHosts>> | undefined;
  /** The simulated gateway, when started. */
  gateway: Awaited<ReturnType<typeof startSimGateway>> | undefined;
  /** The local chart registry, when started: `url` (Helm repository), `ociHost` (`oci://<ociHost>/charts/<name>`), `charts`. */
  chartRegistry: Omit<ChartRegistry, 'stop'> | undefined;
  stop(): Promise<void>;
}

/** The vCenter the simulated gateway plays, and the `lab` account that reaches it. */
export const LAB_VCENTER = { vcenter: 'vcenter.lab.local', datacenter: 'dc-1', datastore: 'vsan-1', network: 'vm-net', username: 'palette@vsphere.local', password: 'lab-vcenter-password' };

/** The simulated gateway registers like any agent, then the `lab` account is (re)pointed at it. */
async function startLabGateway(store: Store, seeded: SeedResult, apiUrl: string, emulator: KubeEmulator, log?: (line: string) => void) {
  const project = await findProject(store, seeded.tenantId, DEFAULT_PROJECT);
  if (!project) throw new Error('the demo tenant has no default project for the simulated gateway');
  const { token } = await createRegistrationToken(createTx(store), seeded.tenantId, project.id, {
    name: `sim-gateway-${new Date().toISOString()}`,
    kind: 'gateway',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const gateway = await startSimGateway({
    apiUrl,
    registrationToken: token,
    name: 'lab-gateway',
    vcenter: LAB_VCENTER,
    emulator,
    heartbeatSeconds: heartbeatSeconds(),
    nodeSize: (type) => instanceTypes[type] ?? { cpu: 4, memoryMiB: 16384, storageGiB: 100 },
    log,
  });
  const accounts = await listCloudAccounts(store, seeded.tenantId, project.id, { limit: 100 });
  const name = accounts.items.some((a) => a.name === 'lab') ? `lab-${gateway.id.slice(-6).toLowerCase()}` : 'lab';
  await createCloudAccount(createTx(store), seeded.tenantId, project.id, {
    name,
    provider: 'vsphere',
    vsphere: { gatewayId: gateway.id, ...LAB_VCENTER },
  } as CreateCloudAccountInput);
  return gateway;
}

/** The simulated edge hosts register with a fresh short-lived token of the demo tenant's default project. */
async function startEdgeFleet(store: Store, seeded: SeedResult, apiUrl: string, emulator: KubeEmulator, count: number, log?: (line: string) => void) {
  const project = await findProject(store, seeded.tenantId, DEFAULT_PROJECT);
  if (!project) throw new Error('the demo tenant has no default project for the simulated edge hosts');
  const { token } = await createRegistrationToken(createTx(store), seeded.tenantId, project.id, {
    name: `sim-edge-${new Date().toISOString()}`,
    kind: 'edge',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  return startSimEdgeHosts({ apiUrl, registrationToken: token, hosts: defaultEdgeHosts(count), emulator, heartbeatSeconds: heartbeatSeconds(), log });
}

/** Creates the table from the shared definition unless it exists (data survives restarts). */
export async function ensureTable(store: Store): Promise<void> {
  try {
    await store.client.send(new DescribeTableCommand({ TableName: store.tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await store.client.send(new CreateTableCommand(createTableInput(store.tableName)));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  await store.client.send(
    new UpdateTimeToLiveCommand({
      TableName: store.tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
    }),
  );
}

/**
 * The whole platform in one process: DynamoDB Local, the table, the seed, and the API
 * served through the same authorizer and handlers that run on Lambda. Handlers find
 * the table through the same environment variables as on AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    let dynamoEndpoint = options.dynamoEndpoint;
    if (!dynamoEndpoint) {
      const dynamo: DynamoDbLocal = await startDynamoDbLocal({ dataDir: options.dataDir, inMemory: options.inMemory, log: options.log });
      stops.push(dynamo.stop);
      dynamoEndpoint = dynamo.endpoint;
    }
    const tableName = options.tableName ?? 'palette';
    const persistDir = options.dynamoEndpoint || options.inMemory ? undefined : options.dataDir;
    const speed = options.simSpeed ?? 1;

    // The simulated cloud and its clusters' Kubernetes API servers (emulated).
    const emulator = await startKubeEmulator({ dataDir: persistDir && `${persistDir}/kube`, readyDelayMs: Math.round(300 / speed) });
    stops.push(emulator.stop);
    const sim = await startSimCloud({ emulator, dataDir: persistDir && `${persistDir}/sim`, speed });
    stops.push(sim.stop);

    // Handlers find everything through the same variables as on AWS, plus local endpoints.
    process.env.TABLE_NAME = tableName;
    process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
    process.env.PALETTE_SIM_ENDPOINT = sim.endpoint;
    process.env.AWS_REGION ??= 'us-east-1';
    // The local runtime's own Helm repository listens on loopback: registries may point there (on AWS they may not).
    process.env.PALETTE_ALLOW_LOOPBACK_REGISTRIES = '1';
    // The local adapter of the secret box: one key in the data directory (KMS on AWS).
    process.env.PALETTE_SECRET_KEY_FILE ??= join(persistDir ?? (await mkdtemp(join(tmpdir(), 'palette-secrets-'))), 'secret.key');
    // The local adapter of the backup store: snapshots under PALETTE_DATA_DIR/backups, sealed with that key (S3 with SSE-KMS on AWS).
    process.env.PALETTE_BACKUP_DIR ??= join(persistDir ?? (await mkdtemp(join(tmpdir(), 'palette-backups-'))), 'backups');
    const workflows = await startWorkflowRuntime({ speed, log: options.log });
    stops.push(workflows.stop);
    // The scheduled Lambda and the AKS/GKE provider functions behind a Lambda Invoke
    // endpoint: POST /v1/system/jobs/{name} and the steps of an AKS or GKE cluster invoke them as on AWS.
    const lambdas = await startLocalLambda(
      {
        [SCHEDULED_FUNCTION.functionName]: { entry: SCHEDULED_FUNCTION.entry, timeoutSeconds: SCHEDULED_FUNCTION_TIMEOUT_SECONDS },
        ...Object.fromEntries(Object.values(providerFunctions).map((fn) => [fn.functionName, { entry: fn.entry, timeoutSeconds: PROVIDER_FUNCTION_TIMEOUT_SECONDS }])),
      },
      { log: options.log },
    );
    stops.push(lambdas.stop);
    process.env.LAMBDA_ENDPOINT = lambdas.endpoint;
    process.env.SCHEDULED_FUNCTION_NAME = SCHEDULED_FUNCTION.functionName;
    for (const fn of Object.values(providerFunctions)) process.env[fn.variable] = fn.functionName;

    const store = createStore({ tableName, endpoint: dynamoEndpoint });
    await ensureTable(store);
    const seeded = await seed(store, { adminKey: options.adminKey, systemKey: options.systemKey });
    // Local executions live in memory: operations still Running at start lost theirs.
    const { resumed, failed } = options.resumeOperations === false ? { resumed: 0, failed: 0 } : await resumeRunningOperations(store, recoveries);
    if (resumed || failed) options.log?.(`resumed ${resumed} workflow(s) interrupted by the last stop; failed ${failed} that could not be`);
    if (options.seedBeehive !== false) await seedBeehive(store, { nodesPerHost: options.beehiveNodesPerHost });
    const api = await startApiServer({ port: options.port, log: options.log });
    stops.push(api.close);
    if (options.jobsIntervalSeconds && options.jobsIntervalSeconds > 0) {
      const timer = startJobTimer((job) => lambdas.invoke(SCHEDULED_FUNCTION.functionName, { job }), options.jobsIntervalSeconds, options.log);
      stops.push(timer.stop);
    }
    let edgeHosts: LocalRuntime['edgeHosts'];
    if (options.simEdgeHosts && options.simEdgeHosts > 0) {
      edgeHosts = await startEdgeFleet(store, seeded, api.url, emulator, options.simEdgeHosts, options.log);
      stops.push(async () => edgeHosts?.stop());
    }
    let chartRegistry: ChartRegistry | undefined;
    if (options.chartRegistry) {
      const settings = options.chartRegistry === true ? {} : options.chartRegistry;
      chartRegistry = await startChartRegistry({ port: settings.port, auth: settings.auth });
      stops.push(async () => chartRegistry?.stop());
      await seedLocalCharts(store, seeded.tenantId, { url: chartRegistry.url, auth: settings.auth });
    }
    let gateway: LocalRuntime['gateway'];
    if (options.simGateway) {
      gateway = await startLabGateway(store, seeded, api.url, emulator, options.log);
      stops.push(async () => gateway?.stop());
    }
    return {
      url: api.url,
      port: api.port,
      store,
      seeded,
      edgeHosts,
      gateway,
      chartRegistry,
      dynamoEndpoint,
      stepFunctionsEndpoint: workflows.endpoint,
      simEndpoint: sim.endpoint,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
