// Redis outages for tests: `npm test` runs the stack (and the tests) through a TCP proxy it controls
// (scripts/test.ts), so a test can make Redis unreachable for every process without stopping Redis.
const controlUrl = () => {
  const url = process.env.TEST_REDIS_PROXY_CONTROL;
  if (!url) throw new Error("TEST_REDIS_PROXY_CONTROL is unset: run this test with `npm test`, which starts the Redis proxy");
  return url;
};

async function control(action: "close" | "open"): Promise<void> {
  const response = await fetch(`${controlUrl()}/redis/${action}`, { method: "POST" });
  if (!response.ok) throw new Error(`the Redis proxy did not ${action}: ${response.status} ${await response.text()}`);
}

/** Redis becomes unreachable for the stack and this test process (connections dropped, connects refused). */
export const closeRedis = () => control("close");
/** Redis is reachable again. */
export const openRedis = () => control("open");

/** Runs `during` with Redis unreachable and always reopens it. */
export async function withRedisDown<T>(during: () => Promise<T>): Promise<T> {
  await closeRedis();
  try {
    return await during();
  } finally {
    await openRedis();
  }
}
