/**
 * How each database engine of a database tier runs from its official image: where it
 * listens, who its admin user is, how it is given the generated password (always from
 * the tier's Secret, never as text) and where it keeps its data.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import type { DatabaseEngine } from '../app-profiles/items.ts';

export interface EngineSpec {
  image: string;
  port: number;
  /** The admin user the image creates; a fixed output of the tier. */
  username: string;
  /** Where the volume claim `data` is mounted. */
  dataDir: string;
  /** The container's env, given the env var that reads the password from the Secret. */
  env: (password: (name: string) => V1EnvVar) => V1EnvVar[];
  args?: string[];
}

export const engines: Record<DatabaseEngine, EngineSpec> = {
  postgres: {
    image: 'postgres',
    port: 5432,
    username: 'postgres',
    dataDir: '/var/lib/postgresql/data',
    // initdb refuses a non-empty directory, and a fresh volume's root may hold lost+found.
    env: (password) => [password('POSTGRES_PASSWORD'), { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
  },
  mysql: {
    image: 'mysql',
    port: 3306,
    username: 'root',
    dataDir: '/var/lib/mysql',
    env: (password) => [password('MYSQL_ROOT_PASSWORD')],
  },
  redis: {
    image: 'redis',
    port: 6379,
    username: 'default',
    dataDir: '/data',
    env: (password) => [password('REDIS_PASSWORD')],
    // Kubernetes expands $(REDIS_PASSWORD) in args from the env above; without AOF a restart loses what came after the last snapshot.
    args: ['--requirepass', '$(REDIS_PASSWORD)', '--appendonly', 'yes'],
  },
  mongodb: {
    image: 'mongo',
    port: 27017,
    username: 'root',
    dataDir: '/data/db',
    env: (password) => [{ name: 'MONGO_INITDB_ROOT_USERNAME', value: 'root' }, password('MONGO_INITDB_ROOT_PASSWORD')],
  },
};
