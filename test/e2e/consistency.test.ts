/**
 * What must hold between items that several writers touch: a cluster never points at
 * a deleted account or profile version, however the requests interleave; counters
 * other features own survive every change of a host cluster; and an accepted change
 * carries its audit entry in its own transaction.
 */
import { GetCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';

const profile = (version: string) => ({
  name: 'consistency',
  version,
  cloud: 'sim',
  type: 'full',
  layers: [
    { type: 'os', name: 'ubuntu', version: '22.04' },
    { type: 'k8s', name: 'kubernetes', version: '1.31' },
  ],
});

const clusterBody = (name: string, cloudAccountId: string, profileId: string) => ({
  name,
  cloudAccountId,
  region: 'sim-local-1',
  profileId,
  hostCluster: { enabled: true },
  nodePools: [{ name: 'workers', instanceType: 'sim.small', count: 1, max: 3 }],
});

const finished = (operationId: string) =>
  until(`operation ${operationId}`, () => api.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running');

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  api = rt.admin;
});
afterAll(async () => {
  await rt?.stop();
});

describe('a cluster and what it uses, created and deleted at the same moment', () => {
  it('never leaves a cluster pointing at a deleted cloud account or profile version', async () => {
    const version = await api.post(`${base}/clusterprofiles`, profile('1.0.0'));
    expect(version.status).toBe(201);
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const account = await api.post(`${base}/cloudaccounts`, { name: `race-${round}`, provider: 'sim', sim: { provisionSeconds: 0 } });
      const [create, remove] = await Promise.all([
        api.post(`${base}/clusters`, clusterBody(`race-${round}`, account.body.id, version.body.id)),
        api.delete(`${base}/cloudaccounts/${account.body.id}`),
      ]);
      outcomes.add(`${create.status}/${remove.status}`);
      // Exactly one of the two wins.
      expect([create.status, remove.status].filter((s) => s < 300), `round ${round}`).toHaveLength(1);
      const accountExists = (await api.get(`${base}/cloudaccounts/${account.body.id}`)).status === 200;
      if (create.status === 202) {
        expect(remove.body.code, `round ${round}`).toBe('invalid_state');
        expect(accountExists, `round ${round}`).toBe(true);
        await finished(create.body.operationId);
      } else {
        expect(remove.status, `round ${round}`).toBe(204);
        expect([400, 409], `round ${round}`).toContain(create.status);
        expect(accountExists, `round ${round}`).toBe(false);
        // Nothing of the refused cluster was left behind.
        const names = (await api.get(`${base}/clusters`)).body.items.map((c: { name: string }) => c.name);
        expect(names, `round ${round}`).not.toContain(`race-${round}`);
      }
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });

  it('never lets an upgrade target a profile version deleted at the same moment', async () => {
    const account = await api.post(`${base}/cloudaccounts`, { name: 'upgrade-race', provider: 'sim', sim: { provisionSeconds: 0 } });
    const v1 = await api.post(`${base}/clusterprofiles`, profile('2.0.0'));
    const cluster = await api.post(`${base}/clusters`, clusterBody('upgrade-race', account.body.id, v1.body.id));
    await finished(cluster.body.operationId);
    for (let round = 0; round < 5; round++) {
      const target = await api.post(`${base}/clusterprofiles`, profile(`2.1.${round}`));
      const [upgrade, remove] = await Promise.all([
        api.post(`${base}/clusters/${cluster.body.id}/upgrade`, { profileId: target.body.id }),
        api.delete(`${base}/clusterprofiles/${target.body.id}`),
      ]);
      expect([upgrade.status, remove.status].filter((s) => s < 300), `round ${round}`).toHaveLength(1);
      if (upgrade.status === 202) {
        expect(remove.body.code).toBe('invalid_state');
        expect((await finished(upgrade.body.operationId)).body.status).toBe('Succeeded');
        // The version the cluster left is free to go now; the one it runs is not.
        const running = await api.get(`${base}/clusters/${cluster.body.id}`);
        expect(running.body.profileId).toBe(target.body.id);
        expect((await api.delete(`${base}/clusterprofiles/${target.body.id}`)).status).toBe(409);
        return;
      }
    }
  });
});

describe('counters kept on a host cluster by other writers', () => {
  it('survive a scale, an upgrade and a failed change', async () => {
    const account = await api.post(`${base}/cloudaccounts`, { name: 'counters', provider: 'sim', sim: { provisionSeconds: 0 } });
    const v1 = await api.post(`${base}/clusterprofiles`, profile('3.0.0'));
    const v2 = await api.post(`${base}/clusterprofiles`, profile('3.1.0'));
    const created = await api.post(`${base}/clusters`, clusterBody('counters', account.body.id, v1.body.id));
    await finished(created.body.operationId);
    const key = keys.cluster(rt.seeded.tenantId, created.body.projectId, created.body.id);
    // What App Mode's placement transactions write: atomic ADDs, outside `version`.
    await rt.store.doc.send(
      new UpdateCommand({
        TableName: rt.store.tableName,
        Key: key,
        UpdateExpression: 'ADD virtualClusters :n, allocatedCpu :cpu, allocatedMemoryMiB :mem, allocatedStorageGiB :disk',
        ExpressionAttributeValues: { ':n': 3, ':cpu': 12, ':mem': 12288, ':disk': 6 },
      }),
    );
    const counters = async () => {
      const { Item } = await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: key, ConsistentRead: true }));
      return { virtualClusters: Item?.virtualClusters, cpu: Item?.allocatedCpu, memory: Item?.allocatedMemoryMiB, storage: Item?.allocatedStorageGiB };
    };
    const expected = { virtualClusters: 3, cpu: 12, memory: 12288, storage: 6 };

    const scaled = await api.patch(`${base}/clusters/${created.body.id}/nodepools/workers`, { count: 2 });
    expect((await finished(scaled.body.operationId)).body.status).toBe('Succeeded');
    expect(await counters()).toEqual(expected);

    const upgraded = await api.post(`${base}/clusters/${created.body.id}/upgrade`, { profileId: v2.body.id });
    expect((await finished(upgraded.body.operationId)).body.status).toBe('Succeeded');
    expect(await counters()).toEqual(expected);

    // A host that carries virtual clusters cannot be deleted, and the refusal changes nothing.
    const refused = await api.delete(`${base}/clusters/${created.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
    expect(await counters()).toEqual(expected);

    // A failing change (the simulated cloud no longer knows the cluster) ends in Error.
    const { Item } = await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: key, ConsistentRead: true }));
    await fetch(`${rt.simEndpoint}/clusters/${Item!.providerName}`, { method: 'DELETE' });
    await until('the simulated cluster to go', async () => (await fetch(`${rt.simEndpoint}/clusters/${Item!.providerName}`)).status, (s) => s === 404);
    const broken = await api.patch(`${base}/clusters/${created.body.id}/nodepools/workers`, { count: 3 });
    expect((await finished(broken.body.operationId)).body.status).toBe('Failed');
    expect((await api.get(`${base}/clusters/${created.body.id}`)).body.status.phase).toBe('Error');
    expect(await counters()).toEqual(expected);
  });
});

describe('the audit entry of an accepted change', () => {
  it('is written in the same transaction as the change; a refused one is still recorded', async () => {
    const sent: TransactWriteCommandInput[] = [];
    // Record the transactions the handlers send, by wrapping the prototype once.
    const original = DynamoDBDocumentClient.prototype.send;
    DynamoDBDocumentClient.prototype.send = function (this: DynamoDBDocumentClient, command: never, ...rest: never[]) {
      const c = command as { constructor: { name: string }; input: unknown };
      if (c.constructor.name === 'TransactWriteCommand') sent.push(structuredClone(c.input as TransactWriteCommandInput));
      return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof original;
    try {
      const created = await api.post('/v1/projects', { name: 'audited' });
      expect(created.status).toBe(201);
      const transaction = sent.find((t) => t.TransactItems?.some((i) => i.Put?.Item?.sk === `PROJECT#${created.body.id}`));
      expect(transaction).toBeDefined();
      const audit = transaction!.TransactItems!.find((i) => String(i.Put?.Item?.pk).startsWith('AUDIT#'));
      expect(audit?.Put?.Item).toMatchObject({ action: 'project.create', resourceId: created.body.id, result: 'success', statusCode: 201 });
      // The caller's key and user are checked in the same transaction.
      expect(transaction!.TransactItems!.filter((i) => i.ConditionCheck).map((i) => String(i.ConditionCheck!.Key!.pk))).toEqual(
        expect.arrayContaining([expect.stringMatching(/^APIKEY#/), expect.stringMatching(/^TENANT#/)]),
      );
    } finally {
      DynamoDBDocumentClient.prototype.send = original;
    }

    const refused = await api.post('/v1/projects', { name: 'audited' });
    expect(refused.status).toBe(409);
    const log = await api.get('/v1/audit?action=project.create&limit=10');
    expect(log.body.items.map((e: { result: string; statusCode: number }) => [e.result, e.statusCode])).toEqual(
      expect.arrayContaining([['success', 201], ['failed', 409]]),
    );
    // One entry per request: the accepted create is not recorded twice.
    expect(log.body.items.filter((e: { statusCode: number }) => e.statusCode === 201)).toHaveLength(1);
  });
});
