import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '../../support/tempDirs.js';
import { type Confinement, describeMemory, instanceConfinement, instanceMemoryMb, processMemory, releaseConfinement, spawnConfined } from './instanceMemory.js';

/*
 * The bench's memory figures are measured in a process confined to the deployed instance's memory. These check
 * that such a process sees the instance's limit before V8 sizes its heap, and that the figures say what they were
 * measured under.
 */

/** What a child started in `confinement` reports of its own memory. */
async function childMemory(confinement: Confinement) {
  const script = join(tempDir('instance-memory'), 'report.mjs');
  writeFileSync(
    script,
    "import { getHeapStatistics } from 'node:v8';\n" +
      'process.send({ constrainedMb: process.constrainedMemory() / 2 ** 20, heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20 }, () => process.disconnect());\n',
  );
  const child = spawnConfined(script, confinement);
  const [[report], [code]] = await Promise.all([once(child, 'message'), once(child, 'exit')]);
  return { ...(report as { constrainedMb: number; heapLimitMb: number }), code: code as number };
}

test('a scanning process in the instance confinement sees the instance memory, and V8 sizes its heap from it', async () => {
  const confinement = instanceConfinement();
  try {
    // These machines let a root process make memory cgroups; where one cannot, the bench prints why, as here.
    expect(confinement).toMatchObject({ kind: 'cgroup' });
    const inside = await childMemory(confinement);
    expect(inside).toMatchObject({ constrainedMb: instanceMemoryMb, code: 0 });
    // Node's default for 2 GB: about half of it (V8's heap limit for a 24 GB machine is 4 GB).
    expect(inside.heapLimitMb).toBeGreaterThan(instanceMemoryMb / 4);
    expect(inside.heapLimitMb).toBeLessThan(instanceMemoryMb * 0.6);
  } finally {
    releaseConfinement(confinement);
  }
});

test('without a confinement the child starts all the same, with the machine heap limit', async () => {
  const outside = await childMemory({ kind: 'none', why: 'not a scanning process' });
  expect(outside.code).toBe(0);
  expect(outside.heapLimitMb).toBeGreaterThan(0);
});

test.each([
  { memory: { peakRssMb: 203.6, memoryLimitMb: 2048, heapLimitMb: 1048.4 }, says: 'memory limit 2048 MB, V8 heap limit 1048 MB' },
  { memory: { peakRssMb: 348.7, memoryLimitMb: null, heapLimitMb: 4144 }, says: /^NO memory limit \(a \d+ MB machine\), V8 heap limit 4144 MB$/ },
])('a memory figure says what it was measured under: $says', ({ memory, says }) => {
  expect(describeMemory(memory)).toMatch(says);
});

test('this process measures its own peak and heap limit', () => {
  const memory = processMemory();
  expect(memory.peakRssMb).toBeGreaterThan(10);
  expect(memory.heapLimitMb).toBeGreaterThan(100);
});
