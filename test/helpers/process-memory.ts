/** A process's memory as the kernel counts it (`/proc/<pid>/status`, proc(5)): VmRSS what it holds now, VmHWM its peak. */
import { readFileSync } from 'node:fs';

export function processMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kib) / 1024;
}
