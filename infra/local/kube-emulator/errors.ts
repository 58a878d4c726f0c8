/**
 * Kubernetes `Status` error objects as the real kube-apiserver returns them, used by
 * the Kubernetes API emulator.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An API error carrying the `Status` object that is sent to the client. */
export class ApiError extends Error {
  readonly status: KubeStatus;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }

  get code(): number {
    return this.status.code;
  }
}

/** Identifies a resource in error messages: `deployments.apps`, or `configmaps` for the core group. */
export interface ResourceRef {
  group: string;
  plural: string;
  kind: string;
}

const qualified = (ref: ResourceRef): string => (ref.group ? `${ref.plural}.${ref.group}` : ref.plural);

function details(ref: ResourceRef, name: string, extra?: Partial<StatusDetails>): StatusDetails {
  return { name, ...(ref.group ? { group: ref.group } : {}), kind: ref.plural, ...extra };
}

export const errors = {
  notFound(ref: ResourceRef, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, details(ref, name));
  },
  alreadyExists(ref: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, details(ref, name));
  },
  conflict(ref: ResourceRef, name: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(ref)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details(ref, name),
    );
  },
  applyConflict(ref: ResourceRef, name: string, conflicts: Array<{ manager: string; apiVersion: string; field: string }>): ApiError {
    const lines = conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`);
    const message =
      conflicts.length === 1
        ? `Apply failed with 1 conflict: ${lines[0]}`
        : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
    return new ApiError(409, 'Conflict', message, {
      ...details(ref, name),
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}" using ${c.apiVersion}`,
        field: c.field,
      })),
    });
  },
  invalid(ref: ResourceRef, name: string, causes: Array<{ field: string; message: string; reason?: string }>): ApiError {
    const summary = causes.map((c) => `${c.field}: ${c.message}`);
    const message = `${ref.kind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`;
    return new ApiError(422, 'Invalid', message, {
      name,
      ...(ref.group ? { group: ref.group } : {}),
      kind: ref.kind,
      causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  },
  /** apierrors.NewForbidden: `pods "web" is forbidden: <why>`, `deployments.apps is forbidden: <why>`, or `forbidden: <why>` (no resource). */
  forbiddenResource(group: string, resource: string, name: string, why: string): ApiError {
    const qualifiedName = resource ? (group ? `${resource}.${group}` : resource) : '';
    const message = !qualifiedName ? `forbidden: ${why}` : name ? `${qualifiedName} "${name}" is forbidden: ${why}` : `${qualifiedName} is forbidden: ${why}`;
    return new ApiError(403, 'Forbidden', message, { ...(name ? { name } : {}), ...(group ? { group } : {}), ...(resource ? { kind: resource } : {}) });
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  },
  unsupportedMediaType(contentType: string): ApiError {
    const protobuf = contentType === 'application/vnd.kubernetes.protobuf' ? ' (the Kubernetes API emulator decodes no protobuf request bodies but DeleteOptions, the reviews and TokenRequest)' : '';
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml${protobuf}`);
  },
  pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
};

export function successStatus(ref: ResourceRef, name: string, uid: string | undefined): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: details(ref, name, uid ? { uid } : {}),
  };
}
