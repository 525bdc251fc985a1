// The access rule of everything a customer owns (carts, orders, payments): its owner and
// administrators may see it, nobody else.
import { requireViewer, type Viewer } from "./auth.js";
import { ForbiddenError } from "./errors.js";

/** Anonymous callers get UNAUTHENTICATED; signed-in callers who are neither owner nor admin get FORBIDDEN. */
export function assertOwnerOrAdmin(viewer: Viewer | null, ownerId: string, what: string): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.userId !== ownerId && signedIn.role !== "ADMIN") {
    throw new ForbiddenError(`Only its owner and administrators can see this ${what}.`);
  }
  return signedIn;
}

/**
 * Service operations (`@inaccessible` mutations one subgraph offers another): only the named services
 * may call them, proven by the signed service assertion (`ctx.caller`); the router, and so every
 * client, gets FORBIDDEN.
 */
export function assertServiceCaller(caller: string, allowed: readonly string[], operation: string): void {
  if (!allowed.includes(caller)) throw new ForbiddenError(`${operation} is a service operation: ${caller} may not call it.`);
}
