// CPU time of the processes of one isolated stack, read from /proc (Linux): the steadiest figure on a
// shared machine, where wall-clock throughput moves by a fifth between runs.
import { readFileSync, readdirSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The stack's processes, named by their entry file (subgraphs/orders/src/worker.ts → orders-worker),
 * found by the REDIS_PREFIX every process of one isolated stack has in its environment.
 */
export function stackProcesses(redisPrefix: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environ.includes(`REDIS_PREFIX=${redisPrefix}`)) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const script = args.find((arg) => arg.endsWith(".ts"));
      if (script) found.set(processName(script), Number(entry));
    } catch {
      // the process ended, or is not ours to read
    }
  }
  return found;
}

function processName(script: string): string {
  const subgraph = /subgraphs\/(\w+)\/src\/(\w+)\.ts$/.exec(script);
  if (subgraph) return subgraph[2] === "index" ? subgraph[1]! : `${subgraph[1]}-${subgraph[2]}`;
  if (script.includes("router/")) return "router";
  if (script.includes("emulators/stripe")) return "stripe-emulator";
  return script;
}

/** User plus system CPU time the process has used so far, in milliseconds; 0 once it is gone. */
export function cpuMilliseconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU milliseconds each process spends while `work` runs. */
export async function measureCpu<T>(
  processes: Map<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: Map<string, number> }> {
  const before = new Map([...processes].map(([name, pid]) => [name, cpuMilliseconds(pid)]));
  const result = await work();
  const cpuMs = new Map([...processes].map(([name, pid]) => [name, cpuMilliseconds(pid) - before.get(name)!]));
  return { result, cpuMs };
}
