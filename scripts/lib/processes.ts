// Child processes for the project scripts: run a tool to completion, or keep a service running.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const BIN = path.resolve("node_modules/.bin");

/** Runs a local tool (from node_modules/.bin) and rejects with its output when it fails. */
export function run(tool: string, args: string[], options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, tool), args, {
      env: { ...process.env, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        if (!options.quiet && output.trim()) process.stdout.write("");
        resolve(output);
      } else {
        reject(new Error(`${tool} ${args.join(" ")} failed (exit ${code}):\n${output}`));
      }
    });
  });
}

/** Every service started and not yet exited, so a signal at any moment can stop them all. */
export const runningServices = new Set<ChildProcess>();

/** Starts a TypeScript entry point as a long-running Node process. */
export function startService(entry: string, env: NodeJS.ProcessEnv, onOutput: (line: string) => void): ChildProcess {
  // Its own process group: a terminal's Ctrl-C reaches only the parent, which stops the children in order.
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  runningServices.add(child);
  child.once("exit", () => runningServices.delete(child));
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line) onOutput(line);
    });
  }
  return child;
}

/** Asks every child to stop (SIGTERM) and waits; SIGKILL after `graceMs`. */
export async function stopAll(children: ChildProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}
