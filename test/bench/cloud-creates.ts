/**
 * Host-cluster creates on the three managed clouds through the local runtime: for EKS,
 * AKS and GKE, N clusters created over the HTTP API, each driven to Running by the real
 * host-cluster-create state machine on the local Step Functions endpoint, with the cloud
 * faked only where it leaves the system, as the end-to-end tests fake it:
 *   - EKS: aws-sdk-client-mock on EKSClient and STSClient (test/e2e/eks-create.test.ts's
 *     fake: CreateCluster, then DescribeCluster and the node groups ACTIVE at once). The
 *     provider runs inside the step Lambda.
 *   - AKS: nock's FakeAzure (test/support/fake-azure.ts, autoAdvance), AAD + ARM.
 *   - GKE: nock's FakeGoogle (test/support/fake-gcp.ts, autoAdvance), the GKE API v1.
 *   AKS and GKE run in their provider functions, invoked over the local Lambda endpoint.
 *
 * Creates run one at a time (the latency is a create's own, with no queueing), after one
 * unmeasured warm-up create per cloud. A create's end is read from the local Step
 * Functions endpoint (DescribeExecution), so the waiting costs no DynamoDB call; the
 * check that every cluster is listed Running is made after the counters are read.
 *
 * Reported per cloud: states entered per create (execution history), DynamoDB calls per
 * create by command (a middleware on the handlers' store client), provider-function
 * invocations per create by method (InvokeCommand of the Lambda client, counted by
 * wrapping its send), cloud requests per create (the fakes' recorded requests; for EKS
 * the mocks' command calls) and the latency POST sent → execution ended.
 *
 * It runs in a child process (runCloudCreateBench, child-process.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  ResourceNotFoundException,
  type CreateClusterCommandInput,
  type CreateNodegroupCommandInput,
} from '@aws-sdk/client-eks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { childMain, runInChild } from './child-process.ts';
import { countCommands, median, runLoad, summarize, type LatencySummary } from './stats.ts';

export type Cloud = 'eks' | 'aks' | 'gke';

export interface CloudCreateOptions {
  /** Measured creates per cloud. */
  clusters: number;
  /** Unmeasured creates per cloud first (JIT, SDK clients, sockets). */
  warmup: number;
  /** PALETTE_SIM_SPEED: the clouds' 30 s polls and the retries' intervals divided by it. */
  simSpeed: number;
  /** Pause between two DescribeExecution calls while waiting for a create's end. */
  pollIntervalMs: number;
  /** Give up on one create after this long. */
  createTimeoutMs: number;
}

export interface CloudCreateStats {
  cloud: Cloud;
  /** The provider's kind and where it runs. */
  runsIn: string;
  n: number;
  succeeded: number;
  /** POST sent → the execution's stopDate. */
  latency: LatencySummary;
  /** The median of those (the middle two averaged for an even n). */
  medianMs: number;
  /** POST /clusters alone (202). */
  post: LatencySummary;
  statesEnteredPerCreate: { mean: number; min: number; max: number; path: string[] };
  /** Task states entered = step Lambda invocations. */
  stepInvocationsPerCreate: number;
  ddbCallsPerCreate: Record<string, number>;
  ddbCallsPerCreateTotal: number;
  ddbWritesPerCreate: number;
  /** Invocations of the cloud's provider function, by provider method (none for EKS: it runs in the step Lambda). */
  providerInvocationsPerCreate: Record<string, number>;
  providerInvocationsPerCreateTotal: number;
  /** Requests that reached the fake cloud, by kind (EKS: SDK commands the mocks answered). */
  cloudRequestsPerCreate: Record<string, number>;
  cloudRequestsPerCreateTotal: number;
}

export interface CloudCreateResult {
  options: CloudCreateOptions;
  runtimeStartMs: number;
  wallMs: number;
  clouds: CloudCreateStats[];
  /** DescribeExecution calls made while waiting (Step Functions endpoint, no DynamoDB). */
  waitCalls: number;
}

const BASE = '/v1/projects/default';
const WRITE_COMMANDS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The customers' clouds, as the end-to-end tests have them

const AZ = {
  tenantId: '7f3c2a10-1b2c-4d5e-8f90-0a1b2c3d4e5f',
  clientId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
  subscriptionId: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
};
const AZURE_SECRET = 'Az8Q~bench.N3ver-Leak_this.s3cret~4711';
const GCP_PROJECT = 'acme-ml-204511';

function gcpKeyFile(): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return JSON.stringify({
    type: 'service_account',
    project_id: GCP_PROJECT,
    private_key_id: '9f8e7d6c5b4a39281706f5e4d3c2b1a0bench0de',
    private_key: privateKey,
    client_email: `palette@${GCP_PROJECT}.iam.gserviceaccount.com`,
    client_id: '104857600123456789012',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
}

/** test/e2e/eks-create.test.ts's small EKS: clusters and node groups as created, ACTIVE at once. */
const mockEks = () => mockClient(EKSClient);
function fakeEks(eks: ReturnType<typeof mockEks>) {
  const clusters = new Map<string, CreateClusterCommandInput>();
  const nodegroups = new Map<string, CreateNodegroupCommandInput>();
  eks.on(CreateClusterCommand).callsFake((input: CreateClusterCommandInput) => {
    clusters.set(input.name!, input);
    return { cluster: { name: input.name, status: 'CREATING' } };
  });
  eks.on(DescribeClusterCommand).callsFake(({ name }: { name: string }) => {
    const input = clusters.get(name);
    if (!input) throw new ResourceNotFoundException({ message: `No cluster found for name: ${name}.`, $metadata: { httpStatusCode: 404 } });
    return {
      cluster: {
        name,
        arn: `arn:aws:eks:eu-west-1:210987654321:cluster/${name}`,
        status: 'ACTIVE',
        version: input.version,
        endpoint: `https://${name.toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n').toString('base64') },
        resourcesVpcConfig: input.resourcesVpcConfig,
        tags: input.tags,
      },
    };
  });
  eks.on(ListNodegroupsCommand).callsFake(({ clusterName }: { clusterName: string }) => ({
    nodegroups: [...nodegroups.values()].filter((n) => n.clusterName === clusterName).map((n) => n.nodegroupName),
  }));
  eks.on(CreateNodegroupCommand).callsFake((input: CreateNodegroupCommandInput) => {
    nodegroups.set(`${input.clusterName}/${input.nodegroupName}`, input);
    return { nodegroup: { nodegroupName: input.nodegroupName, status: 'CREATING' } };
  });
  eks.on(DescribeNodegroupCommand).callsFake(({ clusterName, nodegroupName }: { clusterName: string; nodegroupName: string }) => {
    const input = nodegroups.get(`${clusterName}/${nodegroupName}`)!;
    return {
      nodegroup: {
        nodegroupName,
        clusterName,
        status: 'ACTIVE',
        version: clusters.get(clusterName)?.version,
        instanceTypes: input.instanceTypes,
        scalingConfig: input.scalingConfig,
      },
    };
  });
}

/** A recorded cloud request's kind: its method and path with the names taken out. */
const requestKind = (method: string, path: string) =>
  `${method} ${path
    .replace(/^\/subscriptions\/[^/]+/, '')
    .replace(/^\/v1\/projects\/[^/]+\/locations\/[^/]+/, '')
    .replace(/^\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerService/, '')
    .replace(/\/(resourcegroups|resourceGroups|managedClusters|agentPools|clusters|nodePools|operations)\/[^/:]+/g, '/$1/*')
    .replace(/^\//, '')}`;

const tally = (names: readonly string[]) => {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};
const perCreate = (counts: Record<string, number>, n: number) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function benchCloudCreates(options: CloudCreateOptions, progress: (line: string) => void): Promise<CloudCreateResult> {
  // nock patches node:http as soon as it loads, so it is loaded here, in the child only:
  // loaded in the parent it slowed every later POST of the other parts (~40 ms each).
  const { default: nock } = await import('nock');
  const { FakeAzure } = await import('../support/fake-azure.ts');
  const { FakeGoogle } = await import('../support/fake-gcp.ts');
  // The clouds are faked before anything can reach them: nock for Azure and Google (and
  // nothing else leaves loopback), the SDK mocks for EKS and STS.
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host));
  const azure = new FakeAzure({ ...AZ, autoAdvance: true }).install();
  const google = new FakeGoogle({ projectId: GCP_PROJECT, autoAdvance: true }).install();
  const sts = mockClient(STSClient);
  const eks = mockEks();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIACUSTOMER', SecretAccessKey: 'secret', SessionToken: 'session', Expiration: new Date(Date.now() + 3600_000) },
  });
  fakeEks(eks);

  // Provider-function invocations: every InvokeCommand any Lambda client sends, by function and method.
  const invocations: Array<{ functionName: string; method: string }> = [];
  const lambdaSend = LambdaClient.prototype.send;
  LambdaClient.prototype.send = function (this: LambdaClient, command: unknown, ...rest: unknown[]) {
    if (command instanceof InvokeCommand) {
      let method = '?';
      try {
        const payload = command.input.Payload;
        const text = payload instanceof Uint8Array ? Buffer.from(payload).toString('utf8') : String(payload);
        method = String((JSON.parse(text) as { method?: string }).method ?? '?');
      } catch {
        // not a provider call
      }
      invocations.push({ functionName: String(command.input.FunctionName), method });
    }
    return (lambdaSend as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof lambdaSend;

  // Imported here: handler modules read the log level when they load (run.ts sets it first).
  const { startLocalRuntime } = await import('#infra/local/runtime.ts');
  const { storeFromEnv } = await import('#shared/store/client.ts');
  const { stateMachineArnVariable } = await import('#workflows/names.ts');
  const { providerFunctions } = await import('#shared/providers/remote/functions.ts');

  const started = performance.now();
  const logTail: string[] = [];
  const runtime = await startLocalRuntime({
    inMemory: true,
    simSpeed: options.simSpeed,
    seedBeehive: false,
    log: (line) => {
      logTail.push(line);
      if (logTail.length > 40) logTail.shift();
    },
  });
  const runtimeStartMs = performance.now() - started;
  progress(`local runtime up in ${(runtimeStartMs / 1000).toFixed(1)} s (sim speed ${options.simSpeed}: a 30 s poll waits ${(30_000 / options.simSpeed).toFixed(0)} ms)`);
  const sfn = new SFNClient({ endpoint: runtime.stepFunctionsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const auth = { authorization: `Bearer ${runtime.seeded.adminKey}` };
    const call = async <T = any>(method: string, path: string, body?: unknown, expected?: number): Promise<T> => {
      const res = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (expected !== undefined && res.status !== expected) throw new Error(`${method} ${path}: expected HTTP ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    };
    const profile = async (cloud: Cloud, os: { name: string; version: string }, k8s: string) =>
      (
        await call<{ id: string }>(
          'POST',
          `${BASE}/clusterprofiles`,
          { name: `bench-${cloud}`, version: '1.0.0', cloud, type: 'full', layers: [{ type: 'os', ...os }, { type: 'k8s', name: 'kubernetes', version: k8s }] },
          201,
        )
      ).id;

    // ---- Accounts, profiles and the create request of each cloud.
    const aws = await call<{ id: string }>(
      'POST',
      `${BASE}/cloudaccounts`,
      {
        name: 'bench-aws',
        provider: 'aws',
        aws: {
          roleArn: 'arn:aws:iam::210987654321:role/PaletteAccess',
          externalId: 'ext-8c1f',
          clusterRoleArn: 'arn:aws:iam::210987654321:role/team-eks-cluster',
          nodeRoleArn: 'arn:aws:iam::210987654321:role/team-eks-nodes',
        },
      },
      201,
    );
    const az = await call<{ id: string }>('POST', `${BASE}/cloudaccounts`, { name: 'bench-azure', provider: 'azure', azure: { ...AZ, clientSecret: AZURE_SECRET } }, 201);
    const gcp = await call<{ id: string }>('POST', `${BASE}/cloudaccounts`, { name: 'bench-gcp', provider: 'gcp', gcp: { projectId: GCP_PROJECT, serviceAccountKey: gcpKeyFile() } }, 201);
    const eksProfile = await profile('eks', { name: 'al2023', version: '2023' }, '1.31');
    const aksProfile = await profile('aks', { name: 'ubuntu', version: '22.04' }, '1.30');
    const gkeProfile = await profile('gke', { name: 'ubuntu', version: '22.04' }, '1.30');
    const requests: Record<Cloud, (name: string) => Record<string, unknown>> = {
      eks: (name) => ({
        name,
        cloudAccountId: aws.id,
        region: 'eu-west-1',
        profileId: eksProfile,
        network: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'] },
        nodePools: [{ name: 'general', instanceType: 'm6i.large', count: 3 }],
      }),
      aks: (name) => ({ name, cloudAccountId: az.id, region: 'westeurope', profileId: aksProfile, nodePools: [{ name: 'system', instanceType: 'Standard_D4s_v5', count: 3 }] }),
      gke: (name) => ({ name, cloudAccountId: gcp.id, region: 'europe-west4', profileId: gkeProfile, nodePools: [{ name: 'general', instanceType: 'e2-standard-4', count: 3 }] }),
    };
    const runsIn: Record<Cloud, string> = {
      eks: 'step Lambda (AWS SDK, mocked)',
      aks: `${providerFunctions.aks.functionName} (nock Azure)`,
      gke: `${providerFunctions.gke.functionName} (nock Google)`,
    };
    /** Each cloud's request logs (appended to as requests arrive), and how to name an entry. */
    const cloudLogs: Record<Cloud, Array<{ log: () => readonly unknown[]; kind: (entry: any) => string }>> = {
      eks: [
        { log: () => sts.calls(), kind: (c) => `STS ${c.args[0].constructor.name.replace(/Command$/, '')}` },
        { log: () => eks.calls(), kind: (c) => `EKS ${c.args[0].constructor.name.replace(/Command$/, '')}` },
      ],
      aks: [
        { log: () => azure.tokenRequests, kind: () => 'AAD token' },
        { log: () => azure.requests, kind: (r) => `ARM ${requestKind(r.method, r.path)}` },
      ],
      gke: [
        { log: () => google.tokenRequests, kind: () => 'OAuth token' },
        { log: () => google.requests, kind: (r) => `GKE ${requestKind(r.method, r.path)}` },
      ],
    };
    /** A reader of the requests `cloud` receives from now on. */
    const cloudRequestsSince = (cloud: Cloud) => {
      const before = cloudLogs[cloud].map((l) => l.log().length);
      return () => cloudLogs[cloud].flatMap((l, i) => l.log().slice(before[i]).map(l.kind));
    };

    const stateMachineArn = process.env[stateMachineArnVariable('host-cluster-create')]!;
    const executionArnOf = (operationId: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${operationId}`;
    let waitCalls = 0;
    const runId = Date.now().toString(36);

    /** One create: POST, then the execution's end read from the Step Functions endpoint. */
    const createOne = async (cloud: Cloud, name: string) => {
      const sentAt = Date.now();
      const t = performance.now();
      const c = await call<{ id: string; operationId: string }>('POST', `${BASE}/clusters`, requests[cloud](name), 202);
      const postMs = performance.now() - t;
      const executionArn = executionArnOf(c.operationId);
      const deadline = Date.now() + options.createTimeoutMs;
      for (;;) {
        waitCalls++;
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch((error: unknown) => {
          if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
          throw error;
        });
        if (d && d.status !== 'RUNNING') return { ...c, executionArn, sentAt, postMs, status: d.status, latencyMs: d.stopDate!.getTime() - sentAt };
        if (Date.now() > deadline) throw new Error(`${cloud} create ${name} did not end within ${options.createTimeoutMs} ms`);
        await sleep(options.pollIntervalMs);
      }
    };

    // ---- Warm-up: one create per cloud, not counted.
    const clouds: Cloud[] = ['eks', 'aks', 'gke'];
    for (const cloud of clouds) {
      for (let i = 0; i < options.warmup; i++) {
        const w = await createOne(cloud, `warm-${cloud}-${runId}-${i}`);
        if (w.status !== 'SUCCEEDED') throw new Error(`the ${cloud} warm-up create ended ${w.status}`);
      }
    }
    progress(`warm-up: ${options.warmup} create(s) per cloud SUCCEEDED`);

    // ---- Measured: N creates per cloud, one at a time.
    const counter = countCommands(storeFromEnv().client, 'paletteBenchCloudCallCounter');
    const wall0 = performance.now();
    const results: CloudCreateStats[] = [];
    for (const cloud of clouds) {
      counter.reset();
      const invocationsBefore = invocations.length;
      const cloudRequests = cloudRequestsSince(cloud);
      const created: Array<Awaited<ReturnType<typeof createOne>>> = [];
      const phase0 = performance.now();
      for (let i = 0; i < options.clusters; i++) created.push(await createOne(cloud, `bench-${cloud}-${runId}-${i}`));
      const phaseMs = performance.now() - phase0;
      const calls = counter.snapshot();
      const n = options.clusters;
      const invoked = invocations.slice(invocationsBefore);
      const cloudCalls = cloudRequests();

      // Every one listed Running (read after the counters: not counted).
      const ids = new Set(created.map((c) => c.id));
      let listed = 0;
      let cursor: string | undefined;
      do {
        const page = await call<{ items: Array<{ id: string }>; nextCursor?: string }>(
          'GET',
          `${BASE}/clusters?phase=Running&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          undefined,
          200,
        );
        listed += page.items.filter((c) => ids.has(c.id)).length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);

      const histories: Array<{ entered: string[]; tasks: number }> = [];
      await runLoad(created.length, 10, async (i) => {
        const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: created[i]!.executionArn, maxResults: 1000 }));
        const events = history.events ?? [];
        histories[i] = {
          entered: events.filter((e) => String(e.type).endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name ?? '?'),
          tasks: events.filter((e) => e.type === 'TaskStateEntered').length,
        };
      });
      const enteredCounts = histories.map((h) => h.entered.length);
      const succeeded = created.filter((c) => c.status === 'SUCCEEDED').length;
      if (succeeded !== n || listed !== n) progress(`WARNING: ${cloud}: ${succeeded}/${n} executions SUCCEEDED, ${listed}/${n} listed Running`);

      const ddbCallsPerCreate = perCreate(calls, n);
      const providerInvocations = tally(invoked.map((x) => x.method));
      const cloudRequestsPerCreate = perCreate(tally(cloudCalls), n);
      const stats: CloudCreateStats = {
        cloud,
        runsIn: runsIn[cloud],
        n,
        succeeded,
        latency: summarize(
          created.map((c) => c.latencyMs),
          phaseMs,
        ),
        medianMs: median(created.map((c) => c.latencyMs)),
        post: summarize(
          created.map((c) => c.postMs),
          phaseMs,
        ),
        statesEnteredPerCreate: {
          mean: enteredCounts.reduce((a, b) => a + b, 0) / n,
          min: Math.min(...enteredCounts),
          max: Math.max(...enteredCounts),
          path: histories[0]?.entered ?? [],
        },
        stepInvocationsPerCreate: histories.reduce((a, h) => a + h.tasks, 0) / n,
        ddbCallsPerCreate,
        ddbCallsPerCreateTotal: total(ddbCallsPerCreate),
        ddbWritesPerCreate: Object.entries(ddbCallsPerCreate)
          .filter(([name]) => WRITE_COMMANDS.has(name))
          .reduce((a, [, v]) => a + v, 0),
        providerInvocationsPerCreate: perCreate(providerInvocations, n),
        providerInvocationsPerCreateTotal: invoked.length / n,
        cloudRequestsPerCreate,
        cloudRequestsPerCreateTotal: cloudCalls.length / n,
      };
      results.push(stats);
      progress(
        `${cloud}: ${n} creates, median ${stats.medianMs.toFixed(0)} ms, ${stats.statesEnteredPerCreate.mean.toFixed(1)} states, ` +
          `${stats.ddbCallsPerCreateTotal.toFixed(1)} DDB calls, ${stats.providerInvocationsPerCreateTotal.toFixed(1)} provider invocations, ${stats.cloudRequestsPerCreateTotal.toFixed(1)} cloud requests per create`,
      );
    }
    return { options, runtimeStartMs, wallMs: performance.now() - wall0, clouds: results, waitCalls };
  } catch (error) {
    progress(`failed; the last lines from the local runtime:\n${logTail.join('\n') || '(none)'}`);
    throw error;
  } finally {
    sfn.destroy();
    await runtime.stop();
    storeFromEnv().client.destroy();
    runtime.store.client.destroy();
    LambdaClient.prototype.send = lambdaSend;
    sts.restore();
    eks.restore();
    nock.abortPendingRequests();
    nock.cleanAll();
    nock.enableNetConnect();
  }
}

/** Runs benchCloudCreates in a fresh Node process and returns its result. */
export const runCloudCreateBench = (options: CloudCreateOptions, progress: (line: string) => void) =>
  runInChild<CloudCreateOptions, CloudCreateResult>(import.meta.url, options, progress);

await childMain(import.meta.url, benchCloudCreates);
