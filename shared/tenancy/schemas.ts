import * as z from 'zod';
import { idOf, resourceFields, timestamp, displayName, email } from '../api/schema-kit.ts';
import { projectRoles } from './items.ts';

export const tenantRole = z.enum(['tenant.admin', 'tenant.member']);
export const projectRole = z.enum(projectRoles);

/** Project names double as path keys (`/v1/projects/default`), so they may not look like an id. */
export const projectName = displayName.refine((name) => !/^prj_/.test(name), 'must not start with "prj_"');

export const tenant = z
  .object({ id: idOf('tenant'), name: z.string(), ...resourceFields })
  .meta({ id: 'Tenant' });

export const user = z
  .object({
    id: idOf('user'),
    tenantId: idOf('tenant').nullable(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['system.admin', 'tenant.admin', 'tenant.member']),
    ...resourceFields,
  })
  .meta({ id: 'User' });

export const apiKey = z
  .object({
    id: idOf('apiKey'),
    name: z.string(),
    userId: idOf('user'),
    expiresAt: timestamp.nullable(),
    ...resourceFields,
  })
  .meta({ id: 'ApiKey' });

export const createdApiKey = z
  .object({
    id: idOf('apiKey'),
    name: z.string(),
    userId: idOf('user'),
    key: z.string().meta({ description: 'The secret; shown only in this response.' }),
    expiresAt: timestamp.nullable(),
    ...resourceFields,
  })
  .meta({ id: 'CreatedApiKey' });

export const team = z
  .object({ id: idOf('team'), name: z.string(), memberIds: z.array(idOf('user')), ...resourceFields })
  .meta({ id: 'Team' });

export const project = z
  .object({ id: idOf('project'), name: z.string(), description: z.string(), ...resourceFields })
  .meta({ id: 'Project' });

export const projectMember = z
  .object({
    id: z.string().meta({ description: '`<projectId>:<userId>`' }),
    name: z.string().meta({ description: 'The member user\'s name' }),
    projectId: idOf('project'),
    userId: idOf('user'),
    role: projectRole,
    ...resourceFields,
  })
  .meta({ id: 'ProjectMember' });

export const me = z
  .object({
    user,
    // A union, not .nullable(): the generator renders a nullable reference as allOf, which null cannot satisfy.
    tenant: z.union([tenant, z.null()]),
    roles: z.array(z.string()),
    projectRoles: z.array(z.object({ projectId: idOf('project'), role: projectRole })),
  })
  .meta({ id: 'Me' });

// Requests

export const createTenantBody = z.strictObject({ name: displayName, adminEmail: email }).meta({ id: 'CreateTenant' });

export const createTenantResult = z
  .object({ tenant, admin: z.object({ user, apiKey: createdApiKey }) })
  .meta({ id: 'CreatedTenant' });

export const createUserBody = z
  .strictObject({ email, name: displayName, role: tenantRole.default('tenant.member') })
  .meta({ id: 'CreateUser' });

export const createApiKeyBody = z
  .strictObject({ name: displayName, expiresInDays: z.number().int().min(1).max(3650).optional() })
  .meta({ id: 'CreateApiKey' });

export const teamBody = z
  .strictObject({ name: displayName, memberIds: z.array(idOf('user')).max(500).default([]) })
  .meta({ id: 'TeamInput' });

export const createProjectBody = z
  .strictObject({ name: projectName, description: z.string().max(1024).default('') })
  .meta({ id: 'CreateProject' });

export const updateProjectBody = z
  .strictObject({ name: projectName.optional(), description: z.string().max(1024).optional() })
  .refine((body) => body.name !== undefined || body.description !== undefined, {
    message: 'give at least one of name, description',
  })
  .meta({ id: 'UpdateProject' });

export const putMemberBody = z.strictObject({ role: projectRole }).meta({ id: 'PutProjectMember' });
