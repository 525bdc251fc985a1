// Sessions. Each sign-in starts one: a family of rotating, single-use refresh tokens (only their SHA-256
// is stored) whose id is the `sid` claim of the short-lived access tokens it issues. Ending a session
// marks it in the database (its refresh tokens stop working) and in Redis (every verifier refuses its
// access tokens at once, lib/revocations.ts).
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { requireViewer } from "../../../lib/auth.js";
import { UnauthenticatedError } from "../../../lib/errors.js";
import { parseInput } from "../../../lib/validation.js";
import type { User } from "../../../prisma/users/__generated__/client.js";
import type { UsersContext } from "./context.js";

/** 32 random bytes, base64url: 43 characters. Anything else is not a refresh token of ours. */
const REFRESH_TOKEN_BYTES = 32;
const refreshTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "is not a refresh token");

export type SessionEndReason = "logout" | "logout-everywhere" | "role-changed" | "password-changed" | "refresh-token-reused";

export interface AuthResult {
  token: string;
  expiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: User;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newRefreshToken = () => randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
const parseRefreshToken = (value: unknown) => parseInput(refreshTokenSchema, value, "refreshToken");
const sessionEnded = () => new UnauthenticatedError("This session has ended; sign in again.");

/**
 * Starts a session for a user who has just proven who they are. `startedAtMs` must be taken before
 * `user` was read: a role or password change committed after that read then revokes this session.
 */
export async function startSession(ctx: UsersContext, user: User, startedAtMs: number): Promise<AuthResult> {
  const refreshToken = newRefreshToken();
  const session = await ctx.prisma.session.create({
    data: {
      userId: user.id,
      createdAt: new Date(startedAtMs),
      expiresAt: new Date(startedAtMs + ctx.sessionTtlSeconds * 1000),
      refreshTokens: { create: { tokenHash: hashToken(refreshToken) } },
    },
  });
  return issue(ctx, user, session, refreshToken, startedAtMs);
}

async function issue(
  ctx: UsersContext,
  user: User,
  session: { id: string; expiresAt: Date },
  refreshToken: string,
  issuedAtMs: number,
): Promise<AuthResult> {
  const viewer = { userId: user.id, role: user.role, sessionId: session.id };
  const { token, expiresAt } = await ctx.issueToken({ ...viewer, issuedAtMs });
  // The caller has just proven who they are, so the rest of this response may show their private fields.
  ctx.viewer = viewer;
  return { token, expiresAt, refreshToken, refreshTokenExpiresAt: session.expiresAt, user };
}

/** Uses up a refresh token and issues the next pair of the same session. */
export async function refresh(ctx: UsersContext, rawToken: string): Promise<AuthResult> {
  const issuedAtMs = Date.now(); // before the role is read, as in startSession
  const tokenHash = hashToken(parseRefreshToken(rawToken));
  const presented = await ctx.prisma.refreshToken.findUnique({ where: { tokenHash }, include: { session: true } });
  if (!presented) throw new UnauthenticatedError("The refresh token is not valid; sign in again.");
  const { session } = presented;
  if (session.revokedAt || session.expiresAt.getTime() <= Date.now()) throw sessionEnded();
  if (presented.rotatedAt) return reused(ctx, session.id, session.userId);

  const next = newRefreshToken();
  const outcome = await ctx.prisma.$transaction(async (tx) => {
    // A conditional update: of two refreshes with the same token, the second waits for the first's row
    // lock, then finds the token rotated and is treated as reuse.
    const rotated = await tx.$executeRaw`
      UPDATE "RefreshToken" SET "rotatedAt" = now() AT TIME ZONE 'UTC' WHERE "tokenHash" = ${tokenHash} AND "rotatedAt" IS NULL`;
    if (rotated === 0) return "reused" as const;
    // Locks the session row: a revocation running now lands either before (we stop here) or after
    // (and then also ends the token we are about to create).
    const live = await tx.$executeRaw`
      UPDATE "Session" SET "lastRefreshedAt" = now() AT TIME ZONE 'UTC' WHERE "id" = ${session.id}::uuid AND "revokedAt" IS NULL`;
    if (live === 0) return "ended" as const;
    const user = await tx.user.findUniqueOrThrow({ where: { id: session.userId } });
    if (user.sessionsRevokedAt && session.createdAt < user.sessionsRevokedAt) return "ended" as const;
    await tx.refreshToken.create({ data: { tokenHash: hashToken(next), sessionId: session.id } });
    return user;
  });
  if (outcome === "reused") return reused(ctx, session.id, session.userId);
  if (outcome === "ended") throw sessionEnded();
  return issue(ctx, outcome, session, next, issuedAtMs);
}

/** A used refresh token came back: whoever holds the session's tokens may be a thief, so it ends. */
async function reused(ctx: UsersContext, sessionId: string, userId: string): Promise<never> {
  ctx.log.warn({ sessionId, userId }, "refresh token reused: session ended");
  await endSession(ctx, sessionId, "refresh-token-reused");
  throw new UnauthenticatedError("This refresh token was already used, so the session has been ended; sign in again.");
}

/** Ends the session of the refresh token given and the one of the access token sent. */
export async function logout(ctx: UsersContext, rawToken: string | null | undefined): Promise<boolean> {
  const sessionIds = new Set<string>();
  if (rawToken != null) {
    const tokenHash = hashToken(parseRefreshToken(rawToken));
    const presented = await ctx.prisma.refreshToken.findUnique({ where: { tokenHash }, select: { session: true } });
    // Someone else's refresh token is "not valid" to this caller, exactly like an unknown one.
    if (!presented || (ctx.viewer && presented.session.userId !== ctx.viewer.userId)) {
      throw new UnauthenticatedError("The refresh token is not valid.");
    }
    sessionIds.add(presented.session.id);
  }
  if (ctx.viewer) sessionIds.add(ctx.viewer.sessionId);
  if (sessionIds.size === 0) throw new UnauthenticatedError("Send the refresh token, or sign in, to log out.");
  for (const sessionId of sessionIds) await endSession(ctx, sessionId, "logout");
  return true;
}

export async function logoutEverywhere(ctx: UsersContext): Promise<boolean> {
  const viewer = requireViewer(ctx.viewer);
  await endAllSessions(ctx, viewer.userId, "logout-everywhere");
  return true;
}

async function endSession(ctx: UsersContext, sessionId: string, reason: SessionEndReason): Promise<void> {
  await ctx.prisma.session.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  await ctx.revocations.revokeSession(sessionId);
}

/**
 * Ends every session of the user. Call it after the change that needs it has committed: the time taken
 * here is then later than any sign-in that read the old state, whose tokens it therefore revokes.
 */
export async function endAllSessions(ctx: UsersContext, userId: string, reason: SessionEndReason): Promise<void> {
  const at = new Date();
  await ctx.prisma.$transaction([
    ctx.prisma.user.update({ where: { id: userId }, data: { sessionsRevokedAt: at } }),
    ctx.prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: at, revokedReason: reason } }),
  ]);
  await ctx.revocations.revokeUser(userId, at.getTime());
}
