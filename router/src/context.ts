import type { Viewer } from "../../lib/auth.js";
import type { Logger } from "../../lib/logger.js";

export interface RouterContext {
  requestId: string;
  clientIp: string;
  viewer: Viewer | null;
  /** The caller's Authorization header, forwarded only once verified. */
  authorization?: string;
  log: Logger;
}
