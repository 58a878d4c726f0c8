/** Reading a YAML (or JSON, which is YAML) file given on the command line; `-` is stdin. */
import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { UsageError } from './errors.ts';

async function readText(path: string): Promise<string> {
  if (path !== '-') {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The file's single document, which must be a mapping; the API checks the rest. */
export async function readMappingFile(path: string): Promise<Record<string, unknown>> {
  const text = await readText(path);
  let document: unknown;
  try {
    document = load(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new UsageError(`${path} must hold a YAML mapping`);
  return document as Record<string, unknown>;
}
