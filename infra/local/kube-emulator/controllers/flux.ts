/**
 * Flux's source-controller and helm-controller, as the Kubernetes API emulator plays
 * them for the objects of flux-crds.ts.
 *
 * - **HelmRepository**: fetches `<url>/index.yaml` (basic auth from `spec.secretRef`)
 *   and keeps it as its artifact (`revision 'sha256:<index digest>'`). `type: oci`
 *   repositories are Ready at once: Flux fetches nothing for them; their releases look
 *   the chart's tags up.
 * - **OCIRepository**: the distribution token flow with the credentials of a
 *   `kubernetes.io/dockerconfigjson` Secret, then the manifest of `spec.ref` (tag, semver
 *   range or digest) and, for a Helm chart, its config blob (the chart's metadata).
 * - **HelmRelease**: waits for its source's artifact, picks the chart version from it
 *   (exact or a semver range) and, `readyDelayMs` later, records an install (`.v1`) or
 *   an upgrade (`.v<n+1>`) when the chart or the values changed. No template is rendered
 *   and nothing is applied: the release exists in `status.history` only.
 *
 * Sources are fetched again every `spec.interval` (at least MIN_INTERVAL_MS), on a spec
 * change, on a `reconcile.fluxcd.io/requestedAt` annotation (`flux reconcile`) and when a
 * Secret they name changes; releases are reconciled on their own changes, their source's
 * and every `spec.interval`. Fetches run over HTTP from the emulator process, off the
 * work queue; their outcome is written back through it.
 */
import { createHash } from 'node:crypto';
import { load } from 'js-yaml';
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { HELM_GROUP, SOURCE_GROUP } from '../flux-crds.ts';
import { clone, deepEqual, isObject, kubeTimestamp } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import type { ResourceType } from '../resources.ts';
import { keepTransitionTimes, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';
import { dockerConfigCredentials, FetchError, fetchHelmIndex, IndexError, latestMatching, OciRepositoryClient, parseOciUrl } from './flux-sources.ts';
import type { Credentials, HelmIndex } from './flux-sources.ts';

const SECRET = builtinOfKind('Secret');
const CONFIG_MAP = builtinOfKind('ConfigMap');
const SOURCE_CONTROLLER = 'source-controller';
const HELM_CONTROLLER = 'helm-controller';
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
/** Where source-controller serves artifacts in a real cluster; only ever shown in status. */
const ARTIFACT_SERVER = 'http://source-controller.flux-system.svc.cluster.local.';
const HELM_CHART_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

/** No object is fetched more often than this, whatever its `spec.interval` says. */
export const MIN_INTERVAL_MS = 5000;
/** A failed fetch is retried after its interval, but no later than this. */
const FAILURE_RETRY_MS = 30_000;
const DEFAULT_INTERVAL_MS = 60_000;

type SourceKind = 'HelmRepository' | 'OCIRepository';

interface Problem {
  reason: string;
  message: string;
}

/** A chart a source holds or a release resolved. */
interface Chart {
  name: string;
  version: string;
  appVersion?: string;
}

type FetchOutcome =
  | { ok: true; kind: 'index'; index: HelmIndex }
  | { ok: true; kind: 'static' }
  | { ok: true; kind: 'oci'; revision: string; manifestDigest: string; layer: { digest: string; size: number }; annotations: Record<string, string>; chart: Chart | undefined }
  | { ok: false; problem: Problem };

interface SourceState {
  uid: string;
  inFlight: AbortController | undefined;
  /** A change arrived while a fetch was in flight: fetch again when it lands. */
  rerun: boolean;
  /** A Secret the source names changed: fetch now. */
  forced: boolean;
  fetchedGeneration: number | undefined;
  handledRequest: string | undefined;
  nextFetchAt: number;
  /** The last good fetch: what the artifact holds. */
  artifact: Extract<FetchOutcome, { ok: true }> | undefined;
}

interface ReleaseState {
  uid: string;
  /** The install or upgrade under way (a JSON key of its target) and when it completes. */
  pending: { target: string; readyAt: number } | undefined;
  /** Tags of an OCI HelmRepository's chart, looked up by the release. */
  tags: { key: string; fetchedAt: number; inFlight: AbortController | undefined; outcome: { tags: string[] } | { problem: string } | undefined } | undefined;
}

type Resolution =
  | { kind: 'resolved'; chart: Chart; helmChart?: string; ociDigest?: string }
  | { kind: 'waiting'; status: 'Unknown' | 'False'; reason: string; message: string }
  | { kind: 'failed'; reason: string; message: string }
  | { kind: 'pending' };

const sha256 = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1m30s`, `5m`, `500ms`) in milliseconds; undefined when it is not one. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.map((p) => p[0]).join('') !== value) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? ''] ?? 0), 0);
}

/** Milliseconds as Go prints a time.Duration (`5m0s`, `1h0m0s`, `30s`). */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

const intervalOf = (value: unknown): number => Math.max(MIN_INTERVAL_MS, durationMs(value) ?? DEFAULT_INTERVAL_MS);

/** JSON with sorted keys: equal values digest equally whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

function condition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, generation: number): JsonObject {
  return { type, status, observedGeneration: generation, lastTransitionTime: kubeTimestamp(), reason, message };
}

const conditionOf = (object: KubeObject, type: string): JsonObject | undefined => {
  const conditions = statusOf(object).conditions;
  return Array.isArray(conditions) ? conditions.filter(isObject).find((c) => c.type === type) : undefined;
};

const nameOf = (ref: unknown): string | undefined => (isObject(ref) && typeof ref.name === 'string' && ref.name !== '' ? ref.name : undefined);

/** The served type of a Flux kind in a cluster (its storage version), when its CRD is installed. */
function fluxType(cluster: ClusterState, group: string, kind: string): ResourceType | undefined {
  const types = cluster.types.all().filter((t) => t.group === group && t.kind === kind && t.custom);
  return types.find((t) => t.custom?.storage) ?? types[0];
}

function deepMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) out[key] = isObject(value) && isObject(out[key]) ? deepMerge(out[key] as JsonObject, value) : value;
  return out;
}

export class FluxController implements Controller {
  private readonly sources = new Map<ClusterState, Map<string, SourceState>>();
  private readonly releases = new Map<ClusterState, Map<string, ReleaseState>>();
  /** When each object's next timed reconcile is due, so that one timer is pending per object. */
  private readonly wakeups = new Map<ClusterState, Map<string, number>>();
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void {
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    if (object.kind === 'Secret' && group === '') {
      this.secretChanged(cluster, namespace, name);
      return;
    }
    if (group === SOURCE_GROUP && (object.kind === 'HelmRepository' || object.kind === 'OCIRepository')) {
      const kind: SourceKind = object.kind;
      const key = `${kind}/${namespace}/${name}`;
      if (event?.type === 'DELETED') {
        this.dropSource(cluster, key);
        this.enqueueReleasesOf(cluster, kind, namespace, name);
        return;
      }
      this.context.enqueue(cluster, `flux/${key}`, () => this.reconcileSource(cluster, kind, namespace, name));
      return;
    }
    if (group === HELM_GROUP && object.kind === 'HelmRelease') {
      const key = `HelmRelease/${namespace}/${name}`;
      if (event?.type === 'DELETED') {
        const state = this.releases.get(cluster)?.get(key);
        state?.tags?.inFlight?.abort();
        this.releases.get(cluster)?.delete(key);
      } else {
        this.context.enqueue(cluster, `flux/${key}`, () => this.reconcileRelease(cluster, namespace, name));
      }
      // Releases that depend on this one wait for it to be Ready.
      this.enqueueDependentsOf(cluster, namespace, name);
    }
  }

  forget(cluster: ClusterState): void {
    for (const state of this.sources.get(cluster)?.values() ?? []) state.inFlight?.abort();
    for (const state of this.releases.get(cluster)?.values() ?? []) state.tags?.inFlight?.abort();
    this.sources.delete(cluster);
    this.releases.delete(cluster);
    this.wakeups.delete(cluster);
  }

  stop(): void {
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  // -------------------------------------------------------------------------
  // Scheduling
  // -------------------------------------------------------------------------

  /** Runs `run` at `dueAt`, unless an earlier wake-up of `key` is already pending. */
  private wakeAt(cluster: ClusterState, key: string, dueAt: number, run: () => void): void {
    let pending = this.wakeups.get(cluster);
    if (!pending) this.wakeups.set(cluster, (pending = new Map()));
    const existing = pending.get(key);
    if (existing !== undefined && existing <= dueAt && existing > Date.now()) return;
    pending.set(key, dueAt);
    this.context.later(cluster, dueAt - Date.now(), `flux/${key}#wake@${dueAt}`, () => {
      if (pending.get(key) === dueAt) pending.delete(key);
      run();
    });
  }

  /** Runs an outside request off the work queue and hands its outcome back through it. */
  private runOutside<T>(cluster: ClusterState, key: string, work: (signal: AbortSignal) => Promise<T>, onFailure: (error: unknown) => T, land: (outcome: T, controller: AbortController) => void): AbortController {
    const controller = new AbortController();
    this.inFlight.add(controller);
    void work(controller.signal)
      .catch(onFailure)
      .then((outcome) => {
        this.inFlight.delete(controller);
        if (controller.signal.aborted) return;
        this.context.later(cluster, 0, `flux/${key}#landed`, () => land(outcome, controller));
      });
    return controller;
  }

  // -------------------------------------------------------------------------
  // Sources
  // -------------------------------------------------------------------------

  private sourceState(cluster: ClusterState, key: string, uid: string): SourceState {
    let states = this.sources.get(cluster);
    if (!states) this.sources.set(cluster, (states = new Map()));
    let state = states.get(key);
    if (!state || state.uid !== uid) {
      state?.inFlight?.abort();
      state = { uid, inFlight: undefined, rerun: false, forced: false, fetchedGeneration: undefined, handledRequest: undefined, nextFetchAt: 0, artifact: undefined };
      states.set(key, state);
    }
    return state;
  }

  private dropSource(cluster: ClusterState, key: string): void {
    this.sources.get(cluster)?.get(key)?.inFlight?.abort();
    this.sources.get(cluster)?.delete(key);
  }

  private secretChanged(cluster: ClusterState, namespace: string, name: string): void {
    for (const kind of ['HelmRepository', 'OCIRepository'] as const) {
      const type = fluxType(cluster, SOURCE_GROUP, kind);
      if (!type) continue;
      for (const source of cluster.scan(type, namespace)) {
        if (nameOf(specOf(source).secretRef) !== name) continue;
        const sourceName = source.metadata.name ?? '';
        const key = `${kind}/${namespace}/${sourceName}`;
        const state = this.sources.get(cluster)?.get(key);
        if (state) state.forced = true;
        this.context.enqueue(cluster, `flux/${key}`, () => this.reconcileSource(cluster, kind, namespace, sourceName));
      }
    }
  }

  /** The credentials of a source's Secret: `username`/`password`, or a `.dockerconfigjson` entry for `ociHost`. */
  private credentials(cluster: ClusterState, namespace: string, secretRef: unknown, ociHost: string | undefined, dockerConfigOnly: boolean): { credentials: Credentials | undefined } | { problem: Problem } {
    const name = nameOf(secretRef);
    if (!name) return { credentials: undefined };
    const secret = cluster.peek(SECRET, namespace, name);
    if (!secret) return { problem: { reason: 'AuthenticationFailed', message: `failed to get secret '${namespace}/${name}': secrets "${name}" not found` } };
    const data = isObject(secret.data) ? secret.data : {};
    const text = (key: string): string | undefined => (typeof data[key] === 'string' ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
    const dockerConfig = text('.dockerconfigjson');
    if (ociHost && dockerConfig !== undefined) return { credentials: dockerConfigCredentials(dockerConfig, ociHost) };
    if (dockerConfigOnly) {
      return { problem: { reason: 'AuthenticationFailed', message: `failed to get credential from secret '${namespace}/${name}': the secret has no '.dockerconfigjson' (type kubernetes.io/dockerconfigjson)` } };
    }
    const username = text('username');
    const password = text('password');
    if (username === undefined && password === undefined) return { credentials: undefined };
    if (!username || !password) {
      return { problem: { reason: 'AuthenticationFailed', message: `invalid '${namespace}/${name}' secret data: malformed basic auth - has ${username ? "'username' but missing 'password'" : "'password' but missing 'username'"}` } };
    }
    return { credentials: { username, password } };
  }

  /** What fetching a source takes: a request to run, or the problem that prevents it. */
  private fetchPlan(cluster: ClusterState, kind: SourceKind, source: KubeObject): { run: (signal: AbortSignal) => Promise<FetchOutcome> } | { problem: Problem } | { outcome: FetchOutcome } {
    const spec = specOf(source);
    const namespace = source.metadata.namespace ?? '';
    const url = String(spec.url ?? '');
    if (kind === 'HelmRepository') {
      // Flux keeps no artifact for an OCI Helm repository: its releases pull the chart themselves.
      if (spec.type === 'oci') return { outcome: { ok: true, kind: 'static' } };
      if (!/^https?:\/\/[^/]+/.test(url)) return { problem: { reason: 'URLInvalid', message: `invalid Helm repository URL: '${url}' is not an http:// or https:// URL (set type: oci for an OCI registry)` } };
      const auth = this.credentials(cluster, namespace, spec.secretRef, undefined, false);
      if ('problem' in auth) return auth;
      return { run: async (signal) => ({ ok: true, kind: 'index', index: await fetchHelmIndex(url, auth.credentials, signal) }) };
    }
    const reference = parseOciUrl(url);
    if (!reference) return { problem: { reason: 'URLInvalid', message: `URL must be in format 'oci://<domain>/<org>/<repo>', got '${url}'` } };
    const auth = this.credentials(cluster, namespace, spec.secretRef, reference.host, true);
    if ('problem' in auth) return auth;
    const ref = isObject(spec.ref) ? spec.ref : {};
    const layerSelector = isObject(spec.layerSelector) ? spec.layerSelector : {};
    return {
      run: async (signal) => {
        const client = new OciRepositoryClient(reference, auth.credentials, spec.insecure === true, signal);
        let tag: string | undefined;
        if (typeof ref.digest === 'string' && ref.digest) {
          tag = undefined;
        } else if (typeof ref.semver === 'string' && ref.semver) {
          const tags = await client.tags().catch((error: unknown) => {
            throw new FetchError(`failed to determine the artifact tag for '${url}': ${(error as Error).message}`);
          });
          const filter = typeof ref.semverFilter === 'string' && ref.semverFilter ? new RegExp(ref.semverFilter) : undefined;
          tag = latestMatching(filter ? tags.filter((t) => filter.test(t)) : tags, ref.semver);
          if (!tag) throw new FetchError(`failed to determine the artifact tag for '${url}': no match found for semver: ${ref.semver}`);
        } else {
          tag = typeof ref.tag === 'string' && ref.tag ? ref.tag : 'latest';
        }
        const { digest, manifest } = await client.manifest(tag ?? String(ref.digest)).catch((error: unknown) => {
          throw new FetchError(`failed to determine artifact digest: ${(error as Error).message}`);
        });
        const layers = Array.isArray(manifest.layers) ? manifest.layers.filter(isObject) : [];
        const wanted = typeof layerSelector.mediaType === 'string' ? layerSelector.mediaType : undefined;
        const layer = wanted ? layers.find((l) => l.mediaType === wanted) : layers[0];
        if (!layer) throw new FetchError(`failed to extract layer: ${wanted ? `no layer with media type '${wanted}' found in artifact` : 'the artifact has no layers'}`);
        const config = isObject(manifest.config) ? manifest.config : {};
        let chart: Chart | undefined;
        if (config.mediaType === HELM_CHART_CONFIG && typeof config.digest === 'string') {
          const metadata = JSON.parse((await client.blob(config.digest)).toString('utf8')) as JsonObject;
          chart = { name: String(metadata.name ?? ''), version: String(metadata.version ?? ''), ...(metadata.appVersion !== undefined ? { appVersion: String(metadata.appVersion) } : {}) };
        }
        const annotations = isObject(manifest.annotations) ? Object.fromEntries(Object.entries(manifest.annotations).map(([k, v]) => [k, String(v)])) : {};
        return { ok: true, kind: 'oci', revision: tag ? `${tag}@${digest}` : digest, manifestDigest: digest, layer: { digest: String(layer.digest ?? ''), size: Number(layer.size ?? 0) }, annotations, chart };
      },
    };
  }

  private reconcileSource(cluster: ClusterState, kind: SourceKind, namespace: string, name: string): void {
    const type = fluxType(cluster, SOURCE_GROUP, kind);
    const source = type && cluster.peek(type, namespace, name);
    const uid = source?.metadata.uid;
    if (!type || !source || !uid || source.metadata.deletionTimestamp || specOf(source).suspend === true) return;
    const key = `${kind}/${namespace}/${name}`;
    const state = this.sourceState(cluster, key, uid);
    const generation = source.metadata.generation ?? 1;
    const requested = source.metadata.annotations?.[REQUESTED_AT];
    const due = state.forced || state.fetchedGeneration !== generation || (requested !== undefined && requested !== state.handledRequest) || Date.now() >= state.nextFetchAt;
    const again = () => this.reconcileSource(cluster, kind, namespace, name);
    if (!due) {
      this.wakeAt(cluster, key, state.nextFetchAt, again);
      return;
    }
    if (state.inFlight) {
      state.rerun = true;
      return;
    }
    state.forced = false;
    const plan = this.fetchPlan(cluster, kind, source);
    if ('problem' in plan) {
      this.landSource(cluster, type, source, state, generation, requested, { ok: false, problem: plan.problem });
      return;
    }
    if ('outcome' in plan) {
      this.landSource(cluster, type, source, state, generation, requested, plan.outcome);
      return;
    }
    if (!conditionOf(source, 'Ready')) this.writeStatus(cluster, type, source, SOURCE_CONTROLLER, { ...statusOf(source), conditions: [condition('Ready', 'Unknown', 'Progressing', 'reconciliation in progress', generation), condition('Reconciling', 'True', 'Progressing', 'reconciliation in progress', generation)] });
    state.inFlight = this.runOutside<FetchOutcome>(
      cluster,
      key,
      plan.run,
      (error) => ({ ok: false, problem: { reason: kind === 'OCIRepository' ? 'OCIArtifactPullFailed' : error instanceof IndexError ? 'IndexationFailed' : 'Failed', message: (error as Error).message } }),
      (outcome, controller) => {
        const current = this.sources.get(cluster)?.get(key);
        const latest = cluster.peek(type, namespace, name);
        if (current !== state || state.inFlight !== controller || !latest || latest.metadata.uid !== uid) return;
        state.inFlight = undefined;
        this.landSource(cluster, type, latest, state, generation, requested, outcome);
      },
    );
  }

  /** Records a fetch's outcome in the source's status, and tells the releases that use it. */
  private landSource(cluster: ClusterState, type: ResourceType, source: KubeObject, state: SourceState, generation: number, requested: string | undefined, outcome: FetchOutcome): void {
    const kind = source.kind as SourceKind;
    const namespace = source.metadata.namespace ?? '';
    const name = source.metadata.name ?? '';
    const key = `${kind}/${namespace}/${name}`;
    const interval = intervalOf(specOf(source).interval);
    state.fetchedGeneration = generation;
    state.handledRequest = requested;
    state.nextFetchAt = Date.now() + (outcome.ok ? interval : Math.min(interval, FAILURE_RETRY_MS));
    if (outcome.ok) state.artifact = outcome;

    const previous = statusOf(source);
    const previousArtifact = isObject(previous.artifact) ? previous.artifact : undefined;
    const status: JsonObject = { observedGeneration: generation };
    let conditions: JsonObject[];
    if (!outcome.ok) {
      // Flux keeps the last artifact in storage when a fetch fails.
      conditions = [condition('Ready', 'False', outcome.problem.reason, outcome.problem.message, generation), condition('FetchFailed', 'True', outcome.problem.reason, outcome.problem.message, generation)];
      if (previousArtifact) {
        status.artifact = previousArtifact;
        if (previous.url !== undefined) status.url = previous.url;
        const stored = kind === 'OCIRepository' ? `stored artifact for digest '${String(previousArtifact.revision)}'` : `stored artifact: revision '${String(previousArtifact.revision)}'`;
        conditions.push(condition('ArtifactInStorage', 'True', 'Succeeded', stored, generation));
      }
    } else if (outcome.kind === 'static') {
      conditions = [condition('Ready', 'True', 'Succeeded', 'Helm repository is Ready', generation)];
    } else {
      const revision = outcome.kind === 'index' ? `sha256:${outcome.index.digest}` : outcome.revision;
      const file = outcome.kind === 'index' ? `helmrepository/${namespace}/${name}/index-${outcome.index.digest}.yaml` : `ocirepository/${namespace}/${name}/${outcome.manifestDigest.replace(/^sha256:/, '')}.tar.gz`;
      const unchanged = previousArtifact?.revision === revision;
      status.url = outcome.kind === 'index' ? `${ARTIFACT_SERVER}/helmrepository/${namespace}/${name}/index.yaml` : `${ARTIFACT_SERVER}/ocirepository/${namespace}/${name}/latest.tar.gz`;
      status.artifact = {
        digest: outcome.kind === 'index' ? revision : outcome.layer.digest,
        lastUpdateTime: unchanged && typeof previousArtifact.lastUpdateTime === 'string' ? previousArtifact.lastUpdateTime : kubeTimestamp(),
        ...(outcome.kind === 'oci' && Object.keys(outcome.annotations).length ? { metadata: outcome.annotations } : {}),
        path: file,
        revision,
        size: outcome.kind === 'index' ? outcome.index.size : outcome.layer.size,
        url: `${ARTIFACT_SERVER}/${file}`,
      };
      const message = outcome.kind === 'index' ? `stored artifact: revision '${revision}'` : `stored artifact for digest '${revision}'`;
      conditions = [condition('Ready', 'True', 'Succeeded', message, generation), condition('ArtifactInStorage', 'True', 'Succeeded', message, generation)];
      const layerSelector = specOf(source).layerSelector;
      if (outcome.kind === 'oci' && isObject(layerSelector)) status.observedLayerSelector = layerSelector;
    }
    status.conditions = keepTransitionTimes(previous.conditions, conditions);
    if (requested !== undefined) status.lastHandledReconcileAt = requested;
    if (!outcome.ok && conditionOf(source, 'Ready')?.message !== outcome.problem.message) {
      this.context.events.record(cluster, source, { type: 'Warning', reason: outcome.problem.reason, message: outcome.problem.message, component: SOURCE_CONTROLLER });
    }
    this.writeStatus(cluster, type, source, SOURCE_CONTROLLER, status);

    const again = () => this.reconcileSource(cluster, kind, namespace, name);
    if (state.rerun) {
      state.rerun = false;
      this.context.enqueue(cluster, `flux/${key}`, again);
    }
    this.wakeAt(cluster, key, state.nextFetchAt, again);
    this.enqueueReleasesOf(cluster, kind, namespace, name);
  }

  private writeStatus(cluster: ClusterState, type: ResourceType, object: KubeObject, manager: string, status: JsonObject): void {
    if (deepEqual(statusOf(object), status)) return;
    cluster.controllerWrite(type, { ...clone(object), status }, manager, 'status');
  }

  // -------------------------------------------------------------------------
  // Releases
  // -------------------------------------------------------------------------

  private releasesWhere(cluster: ClusterState, test: (release: KubeObject) => boolean): KubeObject[] {
    const type = fluxType(cluster, HELM_GROUP, 'HelmRelease');
    return type ? cluster.scan(type).filter(test) : [];
  }

  private enqueueRelease(cluster: ClusterState, release: KubeObject): void {
    const namespace = release.metadata.namespace ?? '';
    const name = release.metadata.name ?? '';
    this.context.enqueue(cluster, `flux/HelmRelease/${namespace}/${name}`, () => this.reconcileRelease(cluster, namespace, name));
  }

  private enqueueReleasesOf(cluster: ClusterState, kind: SourceKind, namespace: string, name: string): void {
    for (const release of this.releasesWhere(cluster, (r) => {
      const spec = specOf(r);
      const ref = kind === 'OCIRepository' ? spec.chartRef : isObject(spec.chart) && isObject(spec.chart.spec) ? spec.chart.spec.sourceRef : undefined;
      return isObject(ref) && ref.kind === kind && ref.name === name && (ref.namespace ?? r.metadata.namespace) === namespace;
    })) {
      this.enqueueRelease(cluster, release);
    }
  }

  private enqueueDependentsOf(cluster: ClusterState, namespace: string, name: string): void {
    for (const release of this.releasesWhere(cluster, (r) => {
      const dependsOn = specOf(r).dependsOn;
      return Array.isArray(dependsOn) && dependsOn.some((d) => isObject(d) && d.name === name && (d.namespace ?? r.metadata.namespace) === namespace);
    })) {
      this.enqueueRelease(cluster, release);
    }
  }

  private releaseState(cluster: ClusterState, key: string, uid: string): ReleaseState {
    let states = this.releases.get(cluster);
    if (!states) this.releases.set(cluster, (states = new Map()));
    let state = states.get(key);
    if (!state || state.uid !== uid) {
      state?.tags?.inFlight?.abort();
      state = { uid, pending: undefined, tags: undefined };
      states.set(key, state);
    }
    return state;
  }

  /** Whether a source has an artifact to serve its releases, or what they wait for. */
  private sourceArtifact(cluster: ClusterState, kind: SourceKind, namespace: string, name: string): { source: KubeObject; state: SourceState | undefined } | Extract<Resolution, { kind: 'waiting' }> {
    const type = fluxType(cluster, SOURCE_GROUP, kind);
    const source = type && cluster.peek(type, namespace, name);
    if (!source) return { kind: 'waiting', status: 'False', reason: 'SourceNotReady', message: `could not get source object: ${kind}.${SOURCE_GROUP} "${name}" not found` };
    const state = this.sources.get(cluster)?.get(`${kind}/${namespace}/${name}`);
    const ready = conditionOf(source, 'Ready');
    const usable = state !== undefined && state.uid === source.metadata.uid && state.artifact !== undefined;
    if (usable && (isObject(statusOf(source).artifact) || state?.artifact?.kind === 'static')) return { source, state };
    const status = ready?.status === 'False' ? 'False' : 'Unknown';
    const detail = typeof ready?.message === 'string' && ready.message ? `: ${ready.message}` : '';
    return { kind: 'waiting', status, reason: 'SourceNotReady', message: `${kind} '${namespace}/${name}' is not ready${detail}` };
  }

  /** The chart a release installs, from its source's artifact. */
  private resolveChart(cluster: ClusterState, release: KubeObject, state: ReleaseState): Resolution {
    const spec = specOf(release);
    const namespace = release.metadata.namespace ?? '';
    const name = release.metadata.name ?? '';
    if (isObject(spec.chartRef)) {
      const ref = spec.chartRef;
      const refName = String(ref.name ?? '');
      const refNamespace = typeof ref.namespace === 'string' ? ref.namespace : namespace;
      if (ref.kind !== 'OCIRepository') return { kind: 'failed', reason: 'ArtifactFailed', message: `could not get source object: chartRef kind '${String(ref.kind)}' is not served by the emulator (OCIRepository is)` };
      const found = this.sourceArtifact(cluster, 'OCIRepository', refNamespace, refName);
      if ('kind' in found) return found;
      const artifact = found.state?.artifact;
      if (artifact?.kind !== 'oci') return { kind: 'waiting', status: 'Unknown', reason: 'SourceNotReady', message: `OCIRepository '${refNamespace}/${refName}' is not ready` };
      if (!artifact.chart) return { kind: 'failed', reason: 'ArtifactFailed', message: `failed to load chart from OCIRepository '${refNamespace}/${refName}': the artifact '${artifact.revision}' is not a Helm chart` };
      return { kind: 'resolved', chart: artifact.chart, ociDigest: artifact.manifestDigest };
    }
    const chartSpec = isObject(spec.chart) && isObject(spec.chart.spec) ? spec.chart.spec : undefined;
    if (!chartSpec) return { kind: 'failed', reason: 'InvalidChartReference', message: 'either chart or chartRef must be set' };
    const chartName = String(chartSpec.chart ?? '');
    const constraint = typeof chartSpec.version === 'string' && chartSpec.version !== '' ? chartSpec.version : '*';
    const sourceRef = isObject(chartSpec.sourceRef) ? chartSpec.sourceRef : {};
    const sourceName = String(sourceRef.name ?? '');
    const sourceNamespace = typeof sourceRef.namespace === 'string' ? sourceRef.namespace : namespace;
    const helmChart = `${sourceNamespace}/${namespace}-${name}`;
    if (sourceRef.kind !== 'HelmRepository') return { kind: 'failed', reason: 'ArtifactFailed', message: `chart source kind '${String(sourceRef.kind)}' is not served by the emulator (HelmRepository is)` };
    const found = this.sourceArtifact(cluster, 'HelmRepository', sourceNamespace, sourceName);
    if ('kind' in found) return found;
    const invalid = (detail: string): Resolution => ({ kind: 'failed', reason: 'ArtifactFailed', message: `invalid chart reference: failed to get chart version for remote reference: ${detail}` });
    const pick = (versions: string[]): { version: string } | Resolution => {
      try {
        const version = latestMatching(versions, constraint);
        return version ? { version } : invalid(`no '${chartName}' chart with version matching '${constraint}' found`);
      } catch (error) {
        return invalid((error as Error).message);
      }
    };

    const artifact = found.state?.artifact;
    if (artifact?.kind === 'index') {
      const entries = artifact.index.entries.get(chartName);
      if (!entries) return invalid('no chart name found');
      const picked = pick(entries.map((e) => e.version));
      if ('kind' in picked) return picked;
      const entry = entries.find((e) => e.version === picked.version);
      return { kind: 'resolved', helmChart, chart: { name: chartName, version: picked.version, ...(entry?.appVersion !== undefined ? { appVersion: entry.appVersion } : {}) } };
    }

    // An OCI Helm repository: the release looks its chart's tags up itself.
    const repository = found.source;
    const repositorySpec = specOf(repository);
    const reference = parseOciUrl(`${String(repositorySpec.url ?? '').replace(/\/+$/, '')}/${chartName}`);
    if (!reference) return invalid(`'${String(repositorySpec.url)}' is not an oci:// URL`);
    // A new generation of the repository, a change of its Secret or `flux reconcile` looks again.
    const secretName = nameOf(repositorySpec.secretRef);
    const secretVersion = secretName ? (cluster.peek(SECRET, repository.metadata.namespace, secretName)?.metadata.resourceVersion ?? 'absent') : '';
    const lookupKey = `${repository.metadata.uid}|${repository.metadata.generation ?? 1}|${secretVersion}|${reference.host}/${reference.repository}|${release.metadata.annotations?.[REQUESTED_AT] ?? ''}`;
    const tags = state.tags;
    const fresh = tags?.key === lookupKey && tags.outcome !== undefined && Date.now() < tags.fetchedAt + intervalOf(spec.interval);
    if (!fresh) {
      if (tags?.key === lookupKey && tags.inFlight) return { kind: 'pending' };
      tags?.inFlight?.abort();
      const auth = this.credentials(cluster, repository.metadata.namespace ?? '', repositorySpec.secretRef, reference.host, false);
      if ('problem' in auth) return { kind: 'failed', reason: 'ArtifactFailed', message: auth.problem.message };
      const lookup: NonNullable<ReleaseState['tags']> = { key: lookupKey, fetchedAt: 0, inFlight: undefined, outcome: tags?.key === lookupKey ? tags.outcome : undefined };
      state.tags = lookup;
      const releaseKey = `HelmRelease/${namespace}/${name}`;
      lookup.inFlight = this.runOutside<{ tags: string[] } | { problem: string }>(
        cluster,
        releaseKey,
        async (signal) => ({ tags: await new OciRepositoryClient(reference, auth.credentials, repositorySpec.insecure === true, signal).tags() }),
        (error) => ({ problem: (error as Error).message }),
        (outcome, controller) => {
          if (state.tags !== lookup || lookup.inFlight !== controller) return;
          Object.assign(lookup, { inFlight: undefined, fetchedAt: Date.now(), outcome });
          this.reconcileRelease(cluster, namespace, name);
        },
      );
      if (!lookup.outcome) return { kind: 'pending' };
    }
    const outcome = state.tags?.outcome;
    if (!outcome) return { kind: 'pending' };
    if ('problem' in outcome) return invalid(`could not get tags for "${chartName}": ${outcome.problem}`);
    const picked = pick(outcome.tags);
    if ('kind' in picked) return picked;
    return { kind: 'resolved', helmChart, chart: { name: chartName, version: picked.version } };
  }

  /** `spec.values` merged over the `spec.valuesFrom` documents, as Helm receives them. */
  private values(cluster: ClusterState, release: KubeObject): { values: JsonObject } | { problem: Problem } {
    const spec = specOf(release);
    const namespace = release.metadata.namespace ?? '';
    let values: JsonObject = {};
    for (const ref of Array.isArray(spec.valuesFrom) ? spec.valuesFrom.filter(isObject) : []) {
      const kind = ref.kind === 'Secret' ? 'Secret' : 'ConfigMap';
      const refName = String(ref.name ?? '');
      const valuesKey = typeof ref.valuesKey === 'string' && ref.valuesKey ? ref.valuesKey : 'values.yaml';
      const holder = cluster.peek(kind === 'Secret' ? SECRET : CONFIG_MAP, namespace, refName);
      const data = holder && isObject(holder.data) ? holder.data : {};
      const raw = typeof data[valuesKey] === 'string' ? (kind === 'Secret' ? Buffer.from(data[valuesKey], 'base64').toString('utf8') : data[valuesKey]) : undefined;
      if (raw === undefined) {
        if (ref.optional === true) continue;
        const why = holder ? `key '${valuesKey}' not found` : `${kind === 'Secret' ? 'secrets' : 'configmaps'} "${refName}" not found`;
        return { problem: { reason: 'InitFailed', message: `could not resolve ${kind} chart values reference '${namespace}/${refName}' with key '${valuesKey}': ${why}` } };
      }
      if (typeof ref.targetPath === 'string' && ref.targetPath) {
        const path = ref.targetPath.split('.');
        const overlay: JsonObject = {};
        let cursor = overlay;
        for (const [i, segment] of path.entries()) {
          if (i === path.length - 1) cursor[segment] = raw;
          else cursor = cursor[segment] = {} as JsonObject;
        }
        values = deepMerge(values, overlay);
        continue;
      }
      let parsed: unknown;
      try {
        parsed = load(raw);
      } catch (error) {
        return { problem: { reason: 'InitFailed', message: `unable to read values from key '${valuesKey}' in ${kind} '${namespace}/${refName}': ${(error as Error).message.split('\n')[0] ?? ''}` } };
      }
      if (isObject(parsed)) values = deepMerge(values, parsed);
    }
    return { values: isObject(spec.values) ? deepMerge(values, spec.values) : values };
  }

  private dependencyProblem(cluster: ClusterState, release: KubeObject): Problem | undefined {
    const type = fluxType(cluster, HELM_GROUP, 'HelmRelease');
    const dependsOn = specOf(release).dependsOn;
    if (!type || !Array.isArray(dependsOn)) return undefined;
    for (const dependency of dependsOn.filter(isObject)) {
      const namespace = typeof dependency.namespace === 'string' ? dependency.namespace : (release.metadata.namespace ?? '');
      const name = String(dependency.name ?? '');
      const other = cluster.peek(type, namespace, name);
      const ready = other && conditionOf(other, 'Ready')?.status === 'True' && statusOf(other).observedGeneration === other.metadata.generation;
      if (!ready) return { reason: 'DependencyNotReady', message: `dependency '${namespace}/${name}' is not ready` };
    }
    return undefined;
  }

  private reconcileRelease(cluster: ClusterState, namespace: string, name: string): void {
    const type = fluxType(cluster, HELM_GROUP, 'HelmRelease');
    const release = type && cluster.peek(type, namespace, name);
    const uid = release?.metadata.uid;
    if (!type || !release || !uid || release.metadata.deletionTimestamp) return;
    const spec = specOf(release);
    if (spec.suspend === true) return;
    const key = `HelmRelease/${namespace}/${name}`;
    const state = this.releaseState(cluster, key, uid);
    const generation = release.metadata.generation ?? 1;
    const requested = release.metadata.annotations?.[REQUESTED_AT];
    const previous = statusOf(release);
    const history = Array.isArray(previous.history) ? previous.history.filter(isObject) : [];
    const released = conditionOf(release, 'Released');
    const status: JsonObject = { ...previous, observedGeneration: generation, lastAttemptedGeneration: generation, storageNamespace: typeof spec.storageNamespace === 'string' ? spec.storageNamespace : namespace };
    if (requested !== undefined) status.lastHandledReconcileAt = requested;
    const again = () => this.reconcileRelease(cluster, namespace, name);
    const finish = (conditions: JsonObject[], event?: { type: 'Normal' | 'Warning'; reason: string; message: string }) => {
      status.conditions = keepTransitionTimes(previous.conditions, conditions);
      const before = conditionOf(release, 'Ready');
      if (event && (before?.reason !== event.reason || before?.message !== event.message)) this.context.events.record(cluster, release, { ...event, component: HELM_CONTROLLER });
      this.writeStatus(cluster, type, release, HELM_CONTROLLER, status);
      this.wakeAt(cluster, key, Date.now() + intervalOf(spec.interval), again);
    };
    /** A problem leaves what is deployed as it is: Released keeps its last word. */
    const fail = (readyStatus: 'False' | 'Unknown', problem: Problem) => {
      state.pending = undefined;
      finish([condition('Ready', readyStatus, problem.reason, problem.message, generation), ...(released ? [released] : [])], readyStatus === 'False' ? { type: 'Warning', ...problem } : undefined);
    };

    const dependency = this.dependencyProblem(cluster, release);
    if (dependency) {
      fail('False', dependency);
      return;
    }
    const resolution = this.resolveChart(cluster, release, state);
    if (resolution.kind === 'pending') return;
    if (resolution.kind === 'waiting') {
      fail(resolution.status, resolution);
      return;
    }
    if (resolution.kind === 'failed') {
      fail('False', resolution);
      return;
    }
    const values = this.values(cluster, release);
    if ('problem' in values) {
      fail('False', values.problem);
      return;
    }

    const chart = resolution.chart;
    const releaseNamespace = typeof spec.targetNamespace === 'string' && spec.targetNamespace ? spec.targetNamespace : namespace;
    const releaseName = typeof spec.releaseName === 'string' && spec.releaseName ? spec.releaseName : spec.targetNamespace ? `${String(spec.targetNamespace)}-${name}` : name;
    const configDigest = `sha256:${sha256(canonicalJson(values.values))}`;
    Object.assign(status, {
      lastAttemptedRevision: chart.version,
      lastAttemptedConfigDigest: configDigest,
      ...(resolution.helmChart ? { helmChart: resolution.helmChart } : {}),
      ...(resolution.ociDigest ? { lastAttemptedRevisionDigest: resolution.ociDigest } : {}),
    });
    const latest = history[0];
    const sameRelease = latest !== undefined && latest.name === releaseName && latest.namespace === releaseNamespace;
    const succeeded = (action: 'install' | 'upgrade', snapshot: JsonObject): [string, string] => [
      action === 'install' ? 'InstallSucceeded' : 'UpgradeSucceeded',
      `Helm ${action} succeeded for release ${String(snapshot.namespace)}/${String(snapshot.name)}.v${String(snapshot.version)} with chart ${String(snapshot.chartName)}@${String(snapshot.chartVersion)}`,
    ];

    if (sameRelease && latest.status === 'deployed' && latest.chartName === chart.name && latest.chartVersion === chart.version && latest.configDigest === configDigest) {
      state.pending = undefined;
      const [reason, message] = succeeded(latest.version === 1 ? 'install' : 'upgrade', latest);
      finish([condition('Ready', 'True', reason, message, generation), condition('Released', 'True', reason, message, generation)]);
      return;
    }

    const action = sameRelease ? 'upgrade' : 'install';
    status.lastAttemptedReleaseAction = action;
    const target = JSON.stringify([releaseNamespace, releaseName, chart, configDigest]);
    if (state.pending?.target !== target) state.pending = { target, readyAt: Date.now() + this.context.options.readyDelayMs };
    const wait = state.pending.readyAt - Date.now();
    if (wait > 0) {
      const message = `Running '${action}' action with timeout of ${goDuration(durationMs(spec.timeout) ?? 300_000)}`;
      status.conditions = keepTransitionTimes(previous.conditions, [condition('Ready', 'Unknown', 'Progressing', message, generation), condition('Reconciling', 'True', 'Progressing', message, generation), ...(released ? [released] : [])]);
      this.writeStatus(cluster, type, release, HELM_CONTROLLER, status);
      this.wakeAt(cluster, key, state.pending.readyAt, again);
      return;
    }

    state.pending = undefined;
    const now = kubeTimestamp();
    const version = sameRelease ? Number(latest.version ?? 0) + 1 : 1;
    const snapshot: JsonObject = {
      name: releaseName,
      namespace: releaseNamespace,
      version,
      status: 'deployed',
      chartName: chart.name,
      chartVersion: chart.version,
      ...(chart.appVersion !== undefined ? { appVersion: chart.appVersion } : {}),
      configDigest,
      digest: `sha256:${sha256(canonicalJson([releaseNamespace, releaseName, version, chart, configDigest]))}`,
      firstDeployed: sameRelease && typeof latest.firstDeployed === 'string' ? latest.firstDeployed : now,
      lastDeployed: now,
      ...(resolution.ociDigest ? { ociDigest: resolution.ociDigest } : {}),
    };
    const maxHistory = typeof spec.maxHistory === 'number' ? spec.maxHistory : 5;
    const kept = sameRelease ? history.map((h, i) => (i === 0 ? { ...h, status: 'superseded' } : h)) : [];
    status.history = [snapshot, ...kept].slice(0, maxHistory > 0 ? maxHistory : undefined);
    const [reason, message] = succeeded(action, snapshot);
    finish([condition('Ready', 'True', reason, message, generation), condition('Released', 'True', reason, message, generation)], { type: 'Normal', reason, message });
  }
}
