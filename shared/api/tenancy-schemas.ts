import { idOf, resourceFields, timestamp, displayName, email, z } from './schema-kit.ts';

export const tenantRole = z.enum(['tenant.admin', 'tenant.member']);
export const projectRole = z.enum(['project.admin', 'project.editor', 'project.viewer']);

/** Project names double as path keys (`/v1/projects/default`), so they may not look like an id. */
export const projectName = displayName.refine((name) => !/^prj_/.test(name), 'must not start with "prj_"');

export const tenant = z
  .object({ id: idOf('tenant'), name: z.string(), ...resourceFields })
  .openapi('Tenant');

export const user = z
  .object({
    id: idOf('user'),
    tenantId: idOf('tenant').nullable(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['system.admin', 'tenant.admin', 'tenant.member']),
    ...resourceFields,
  })
  .openapi('User');

export const apiKey = z
  .object({
    id: idOf('apiKey'),
    name: z.string(),
    userId: idOf('user'),
    expiresAt: timestamp.nullable(),
    ...resourceFields,
  })
  .openapi('ApiKey');

export const createdApiKey = z
  .object({
    id: idOf('apiKey'),
    name: z.string(),
    userId: idOf('user'),
    key: z.string().openapi({ description: 'The secret; shown only in this response.' }),
    expiresAt: timestamp.nullable(),
    ...resourceFields,
  })
  .openapi('CreatedApiKey');

export const team = z
  .object({ id: idOf('team'), name: z.string(), memberIds: z.array(idOf('user')), ...resourceFields })
  .openapi('Team');

export const project = z
  .object({ id: idOf('project'), name: z.string(), description: z.string(), ...resourceFields })
  .openapi('Project');

export const projectMember = z
  .object({
    id: z.string().openapi({ description: '`<projectId>:<userId>`' }),
    name: z.string().openapi({ description: 'The member user\'s name' }),
    projectId: idOf('project'),
    userId: idOf('user'),
    role: projectRole,
    ...resourceFields,
  })
  .openapi('ProjectMember');

export const me = z
  .object({
    user,
    tenant: tenant.nullable(),
    roles: z.array(z.string()),
    projectRoles: z.array(z.object({ projectId: idOf('project'), role: projectRole })),
  })
  .openapi('Me');

// Requests

export const createTenantBody = z.strictObject({ name: displayName, adminEmail: email }).openapi('CreateTenant');

export const createTenantResult = z
  .object({ tenant, admin: z.object({ user, apiKey: createdApiKey }) })
  .openapi('CreatedTenant');

export const createUserBody = z
  .strictObject({ email, name: displayName, role: tenantRole.default('tenant.member') })
  .openapi('CreateUser');

export const createApiKeyBody = z
  .strictObject({ name: displayName, expiresInDays: z.number().int().min(1).max(3650).optional() })
  .openapi('CreateApiKey');

export const teamBody = z
  .strictObject({ name: displayName, memberIds: z.array(idOf('user')).max(500).default([]) })
  .openapi('TeamInput');

export const createProjectBody = z
  .strictObject({ name: projectName, description: z.string().max(1024).default('') })
  .openapi('CreateProject');

export const updateProjectBody = z
  .strictObject({ name: projectName.optional(), description: z.string().max(1024).optional() })
  .refine((body) => body.name !== undefined || body.description !== undefined, {
    message: 'give at least one of name, description',
  })
  .openapi('UpdateProject');

export const putMemberBody = z.strictObject({ role: projectRole }).openapi('PutProjectMember');
