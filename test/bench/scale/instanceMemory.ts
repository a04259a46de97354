import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

/*
 * The memory goals speak of one Flex Consumption instance of the size the deployment asks for
 * (infra/modules/functionApp.bicep: instanceMemoryMB 2048). A scanning process of the bench starts inside a memory
 * cgroup of that size, for two reasons:
 * - V8 sizes its heap from the memory Node sees: Node hands the cgroup's limit (process.constrainedMemory()), or
 *   else the machine's memory, to V8's heap defaults. On this 24 GB machine that is a 4 GB heap limit and an old
 *   generation left to grow to about four times what it keeps; on a 2 GB instance, about 1 GB. Measured unconfined,
 *   the figure is the slack a 24 GB machine allows, not what the instance would see.
 * - The kernel holds the process to the instance's memory: a scan that needs more is killed, and the bench fails.
 * Where no cgroup can be made (no write access to the memory controller), the process runs unconfined and the bench
 * says so beside every memory figure.
 */

/** The deployed instance's memory (infra/modules/functionApp.bicep). */
export const instanceMemoryMb = 2048;

export type Confinement = { readonly kind: 'cgroup'; readonly dir: string } | { readonly kind: 'none'; readonly why: string };

/** What a process saw of its memory, measured in that process: the bench prints it beside each peak. */
export interface ProcessMemory {
  /** Peak resident set, start-up included. */
  readonly peakRssMb: number;
  /** The memory limit the process saw (its cgroup's); null when it saw none below the machine's memory. */
  readonly memoryLimitMb: number | null;
  /** The heap limit V8 chose from that. */
  readonly heapLimitMb: number;
}

const mb = (bytes: number) => bytes / 2 ** 20;

export function processMemory(): ProcessMemory {
  const constrained = process.constrainedMemory();
  return {
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    memoryLimitMb: constrained > 0 && constrained < totalmem() ? mb(constrained) : null,
    heapLimitMb: mb(getHeapStatistics().heap_size_limit),
  };
}

/** `memory limit 2048 MB, V8 heap limit 1048 MB`, or what was missing. */
export function describeMemory(memory: ProcessMemory): string {
  const limit = memory.memoryLimitMb === null ? `NO memory limit (a ${mb(totalmem()).toFixed(0)} MB machine)` : `memory limit ${memory.memoryLimitMb.toFixed(0)} MB`;
  return `${limit}, V8 heap limit ${memory.heapLimitMb.toFixed(0)} MB`;
}

/** The memory cgroup hierarchy and this process's place in it: cgroup v1's memory controller, or v2's unified tree. */
function ownMemoryCgroup(): { readonly dir: string; readonly limitFile: string } {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = lines.map((line) => line.split(':')).find(([, controllers]) => controllers?.split(',').includes('memory'));
  if (v1) return { dir: join('/sys/fs/cgroup/memory', v1[2] ?? '/'), limitFile: 'memory.limit_in_bytes' };
  const v2 = lines.find((line) => line.startsWith('0::'));
  if (v2) return { dir: join('/sys/fs/cgroup', v2.slice(3)), limitFile: 'memory.max' };
  throw new Error('/proc/self/cgroup names no memory controller');
}

let made = 0;

/** A memory cgroup of `memoryMb` under this process's own, for one child; `release` removes it once the child has exited. */
export function instanceConfinement(memoryMb = instanceMemoryMb): Confinement {
  try {
    const own = ownMemoryCgroup();
    const dir = join(own.dir, `kv-audit-bench-${process.pid}-${++made}`);
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, own.limitFile), String(memoryMb * 2 ** 20));
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    return { kind: 'cgroup', dir };
  } catch (error) {
    return { kind: 'none', why: error instanceof Error ? error.message : String(error) };
  }
}

export function releaseConfinement(confinement: Confinement): void {
  if (confinement.kind === 'cgroup') rmdirSync(confinement.dir);
}

/**
 * Starts `script` with Node, joined to the confinement before Node starts (V8 sizes its heap at start-up), with an
 * IPC channel as `fork` gives.
 */
export function spawnConfined(script: string, confinement: Confinement): ChildProcess {
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
  if (confinement.kind === 'none') return spawn(process.execPath, [script], { stdio });
  // The shell joins the cgroup ($$ is its pid), then becomes Node: the channel's descriptor survives the exec.
  return spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', join(confinement.dir, 'cgroup.procs'), process.execPath, script], { stdio });
}
