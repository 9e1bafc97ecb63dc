import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { centralDist, centralEnvironment } from './central-replicas.js';

export interface RegisteredPdv {
  pdvId: string;
  lojaId: number;
  token: string;
}

export class PdvRegistrationError extends Error {}

const run = promisify(execFile);

/**
 * Registers `count` PDVs spread over `lojas` lojas the way an operator does, with the admin CLI
 * (`central-api pdv add --from-csv <file> --json`), and keeps the tokens it prints once.
 */
/** The admin CLI takes at most this many PDVs per command. */
const PER_COMMAND = 1_000;

/**
 * Registers `count` PDVs spread over `lojas` lojas the way an operator does, with the admin CLI
 * (`central-api pdv add --from-csv <file> --json`, a thousand at a time), and keeps the tokens it prints once.
 */
export async function registerPdvs(dbUrl: string, count: number, lojas: number, centralRoot: string | null = null): Promise<RegisteredPdv[]> {
  const issued: RegisteredPdv[] = [];
  for (let first = 0; first < count; first += PER_COMMAND) issued.push(...(await registerBatch(dbUrl, first, Math.min(count, first + PER_COMMAND), lojas, centralRoot)));
  return issued;
}

async function registerBatch(dbUrl: string, first: number, end: number, lojas: number, centralRoot: string | null): Promise<RegisteredPdv[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pdvs-'));
  try {
    const csv = join(dir, 'pdvs.csv');
    const lines = ['pdv_id,loja_id'];
    for (let index = first; index < end; index += 1) {
      const lojaId = 1 + (index % lojas);
      lines.push(`loja${String(lojaId).padStart(2, '0')}-pdv${String(index + 1).padStart(5, '0')},${lojaId}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
    let stdout: string;
    try {
      ({ stdout } = await run(process.execPath, [centralDist(centralRoot).cli, 'pdv', 'add', '--from-csv', csv, '--json'], { env: centralEnvironment(dbUrl), maxBuffer: 64 * 1024 * 1024 }));
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr ?? '';
      throw new PdvRegistrationError(`central-api pdv add failed: ${stderr.trim().slice(0, 500) || (cause as Error).message}`, { cause });
    }
    const issued = JSON.parse(stdout) as RegisteredPdv[];
    if (!Array.isArray(issued) || issued.length !== end - first) throw new PdvRegistrationError(`central-api pdv add registered ${Array.isArray(issued) ? issued.length : 'no'} PDVs, ${end - first} asked`);
    return issued;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
