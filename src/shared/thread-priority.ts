/**
 * The calling thread's scheduling priority. On Linux the nice value belongs
 * to each thread (setpriority(2), "NOTES"), so a worker thread can ask for a
 * higher priority than the rest of the process; elsewhere it is per process.
 */
import { getPriority, setPriority } from 'node:os';

/** Ask for `nice`; answers the nice value the thread has now and, if it could not get `nice`, why. */
export function setThreadNice(nice: number): { nice: number; error: string | null } {
  if (nice === 0) return { nice: getPriority(0), error: null };
  try {
    setPriority(0, nice);
    return { nice: getPriority(0), error: null };
  } catch (err) {
    // EACCES: lowering nice below 0 needs root, CAP_SYS_NICE or a high enough RLIMIT_NICE.
    return { nice: getPriority(0), error: (err as Error).message };
  }
}
