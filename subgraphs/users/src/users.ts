// Accounts, credentials and roles: the rules, callable without HTTP.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { requireAdmin, requireViewer } from "../../../lib/auth.js";
import {
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  prismaErrorKind,
  type ErrorResult,
} from "../../../lib/errors.js";
import { cursorCodec, cursorKeys, pageSize, toConnection } from "../../../lib/pagination.js";
import { parseInput, singleLine } from "../../../lib/validation.js";
import { isUuid } from "../../../lib/loaders.js";
import { Prisma, type PrismaClient, type User, type Role } from "../../../prisma/users/__generated__/client.js";
import type { UsersContext } from "./context.js";
import { assertStrongPassword, decoyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import { endAllSessions, startSession, type AuthResult } from "./sessions.js";
import { outboxEvent, writeOutbox } from "../../../lib/outbox.js";
import { emailJobId } from "../../../lib/queues.js";

/** The welcome email of a new user: one per user (eventKey `welcome:<userId>`). */
const welcomeEmail = (userId: string) => {
  const data = { eventKey: `welcome:${userId}`, userId };
  return outboxEvent("email", "welcome", data, { jobId: emailJobId("welcome", data) });
};

export type { User };

/** The expected refusals of the users subgraph's mutations (see lib/errors.ts). */
export type EmailTaken = ErrorResult<"EmailTakenError", "EMAIL_TAKEN">;
export type InvalidCredentials = ErrorResult<"InvalidCredentialsError", "INVALID_CREDENTIALS">;
export type LastAdmin = ErrorResult<"LastAdminError", "LAST_ADMIN">;
/** A deleted account (`UserDeleted`). */
export interface UserDeleted {
  id: string;
}

const emailTaken = (): EmailTaken => ({
  __typename: "EmailTakenError",
  code: "EMAIL_TAKEN",
  message: "An account with this email already exists.",
});
const invalidCredentials = (message: string): InvalidCredentials => ({
  __typename: "InvalidCredentialsError",
  code: "INVALID_CREDENTIALS",
  message,
});
const lastAdmin = (message: string): LastAdmin => ({ __typename: "LastAdminError", code: "LAST_ADMIN", message });

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const emailSchema = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"))
  .transform(normalizeEmail);
const nameSchema = singleLine(z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"));
const addressSchema = z.object({
  line1: z.string().trim().min(1, "must not be empty").max(200),
  line2: z.string().trim().max(200).nullish(),
  city: z.string().trim().min(1, "must not be empty").max(100),
  region: z.string().trim().max(100).nullish(),
  postalCode: z.string().trim().min(1, "must not be empty").max(20),
  country: z
    .string()
    .trim()
    .transform((c) => c.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as DE")),
});
export type Address = z.infer<typeof addressSchema>;

const registerSchema = z.object({ email: emailSchema, password: z.string(), name: nameSchema });
const updateProfileSchema = z.object({
  name: nameSchema.nullish(),
  defaultShippingAddress: addressSchema.nullish(),
  currentPassword: z.string().nullish(),
  newPassword: z.string().nullish(),
});

export async function register(ctx: UsersContext, input: unknown): Promise<AuthResult | EmailTaken> {
  const startedAtMs = Date.now();
  const { email, password, name } = parseInput(registerSchema, input);
  assertStrongPassword(password, email, "input.password");
  try {
    const passwordHash = await hashPassword(password);
    // The welcome email commits with the user (the outbox, lib/outbox.ts): never one without the other.
    const user = await ctx.prisma.$transaction(async (tx) => {
      const created = await tx.user.create({ data: { email, name, passwordHash } });
      await writeOutbox(tx, [welcomeEmail(created.id)]);
      return created;
    });
    ctx.log.info({ userId: user.id }, "user registered");
    return await startSession(ctx, user, startedAtMs);
  } catch (error) {
    if (prismaErrorKind(error) === "unique") return emailTaken();
    throw error;
  }
}

export async function login(ctx: UsersContext, email: string, password: string): Promise<AuthResult | InvalidCredentials> {
  const startedAtMs = Date.now(); // before the user (and role) is read: see startSession
  const user = await ctx.prisma.user.findUnique({ where: { email: normalizeEmail(email) } });
  const matches = user
    ? await verifyPassword(user.passwordHash, password)
    : await verifyPassword(await decoyPasswordHash(), password).then(() => false);
  if (!user || !matches) return invalidCredentials("Invalid email or password.");
  return startSession(ctx, user, startedAtMs);
}

export async function findById(ctx: UsersContext, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  return ctx.prisma.user.findUnique({ where: { id } });
}

export async function me(ctx: UsersContext): Promise<User | null> {
  return ctx.viewer ? findById(ctx, ctx.viewer.userId) : null;
}

export async function updateProfile(ctx: UsersContext, input: unknown): Promise<User | InvalidCredentials> {
  const viewer = requireViewer(ctx.viewer);
  const changes = parseInput(updateProfileSchema, input);
  const user = await findById(ctx, viewer.userId);
  if (!user) throw new UnauthenticatedError("Your account no longer exists.");

  const data: Prisma.UserUpdateInput = {};
  if (changes.name != null) data.name = changes.name;
  if (changes.defaultShippingAddress !== undefined) {
    data.shippingAddress = changes.defaultShippingAddress === null ? Prisma.DbNull : changes.defaultShippingAddress;
  }
  if (changes.newPassword != null) {
    if (!changes.currentPassword) throw new BadUserInputError("Changing the password needs the current password.", "input.currentPassword");
    if (!(await verifyPassword(user.passwordHash, changes.currentPassword))) {
      return invalidCredentials("The current password is not correct.");
    }
    assertStrongPassword(changes.newPassword, user.email, "input.newPassword");
    data.passwordHash = await hashPassword(changes.newPassword);
  }
  const updated = await ctx.prisma.user.update({ where: { id: user.id }, data });
  // Whoever knew the old password may hold a session: every session ends, this one too (sign in again).
  if (data.passwordHash) await endAllSessions(ctx, user.id, "password-changed");
  return updated;
}

/**
 * For operations on users and roles: the token's role is not enough (it may predate a demotion whose
 * revocation this process could not read), so the caller's current role is read from the database.
 */
async function requireCurrentAdmin(ctx: UsersContext): Promise<void> {
  const viewer = requireAdmin(ctx.viewer);
  const caller = await ctx.prisma.user.findUnique({ where: { id: viewer.userId }, select: { role: true } });
  if (!caller) throw new UnauthenticatedError("Your account no longer exists.");
  if (caller.role !== "ADMIN") throw new ForbiddenError("Only administrators can do this.");
}

const searchSchema = z.string().trim().max(200, "must be at most 200 characters").nullish();

/** Users page newest first, by (createdAt, id). */
const userCursor = cursorCodec("users", [cursorKeys.timestamp(), cursorKeys.id]);

export async function listUsers(ctx: UsersContext, args: { first?: number | null; after?: string | null; search?: string | null }) {
  await requireCurrentAdmin(ctx);
  const size = pageSize(args.first);
  const search = parseInput(searchSchema, args.search, "search");
  const where: Prisma.UserWhereInput = search
    ? { OR: [{ email: { contains: search, mode: "insensitive" } }, { name: { contains: search, mode: "insensitive" } }] }
    : {};
  let keyset: Prisma.UserWhereInput = {};
  if (args.after) {
    const [createdAt, id] = userCursor.decode(args.after);
    const at = new Date(createdAt);
    keyset = { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
  }
  const [rows, totalCount] = await Promise.all([
    ctx.prisma.user.findMany({ where: { AND: [where, keyset] }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: size + 1 }),
    ctx.prisma.user.count({ where }),
  ]);
  return toConnection(rows, size, (u) => userCursor.encode([u.createdAt.toISOString(), u.id]), totalCount, Boolean(args.after));
}

export async function getUser(ctx: UsersContext, id: string): Promise<User | null> {
  await requireCurrentAdmin(ctx);
  return findById(ctx, id);
}

export async function setUserRole(ctx: UsersContext, userId: string, role: Role): Promise<User | LastAdmin> {
  await requireCurrentAdmin(ctx);
  const user = await findById(ctx, userId);
  if (!user) throw new NotFoundError("User");
  if (user.role === role) return user;
  const updated = await whileAdminsRemain(ctx, user, "The last administrator cannot be demoted.", "role", (tx) =>
    tx.user.update({ where: { id: user.id }, data: { role } }),
  );
  if ("__typename" in updated) return updated;
  // Tokens carry the role: every session ends, and the new role applies from the next sign-in.
  await endAllSessions(ctx, user.id, "role-changed");
  return updated;
}

/** The signed-in user deletes their own account, proving it with their password. */
export async function deleteAccount(ctx: UsersContext, password: string): Promise<UserDeleted | InvalidCredentials | LastAdmin> {
  const viewer = requireViewer(ctx.viewer);
  const user = await findById(ctx, viewer.userId);
  if (!user) throw new UnauthenticatedError("Your account no longer exists.");
  if (!(await verifyPassword(user.passwordHash, password))) return invalidCredentials("The password is not correct.");
  return removeUser(ctx, user);
}

/** An administrator deletes a user (themself included, unless they are the last administrator). */
export async function deleteUser(ctx: UsersContext, id: string): Promise<UserDeleted | LastAdmin> {
  await requireCurrentAdmin(ctx);
  const user = await findById(ctx, id);
  if (!user) throw new NotFoundError("User");
  return removeUser(ctx, user);
}

/** Deletes the row (its sessions go with it; orders keep only the id) and refuses the user's access tokens. */
async function removeUser(ctx: UsersContext, user: User): Promise<UserDeleted | LastAdmin> {
  const refusal = await whileAdminsRemain(ctx, user, "The last administrator cannot be deleted.", "id", async (tx) => {
    const { count } = await tx.user.deleteMany({ where: { id: user.id } });
    if (count === 0) throw new NotFoundError("User");
    return null;
  });
  if (refusal) return refusal;
  await ctx.revocations.revokeUser(user.id);
  ctx.log.info({ userId: user.id }, "user deleted");
  return { id: user.id };
}

/**
 * Runs a change that takes `user` out of the administrators, refusing it (LastAdminError) when no other
 * administrator would remain. Serializable, so two admins demoting or deleting each other at once cannot
 * leave none: the loser gets a CONFLICT to retry, and on retry the refusal.
 */
async function whileAdminsRemain<T>(
  ctx: UsersContext,
  user: User,
  refusal: string,
  field: string,
  change: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T | LastAdmin> {
  try {
    return await ctx.prisma.$transaction(
      async (tx): Promise<T | LastAdmin> => {
        if (user.role === "ADMIN") {
          const admins = await tx.user.count({ where: { role: "ADMIN" } });
          if (admins <= 1) return lastAdmin(refusal);
        }
        return change(tx);
      },
      { isolationLevel: "Serializable" },
    );
  } catch (error) {
    if (prismaErrorKind(error) === "serialization")
      throw new ConflictError("Administrators were changed at the same time; try again.", field);
    throw error;
  }
}

/**
 * For entity references from other subgraphs (a cart's or an order's customer): the user themself and
 * administrators only, who are the only ones those subgraphs show a customer to. Anyone else gets null,
 * so nobody can learn names, roles or account ages (and spot the administrators) by id.
 */
export async function userReference(ctx: UsersContext, id: string): Promise<User | null> {
  const viewer = ctx.viewer;
  if (!viewer || (viewer.userId !== id && viewer.role !== "ADMIN")) return null;
  return ctx.loaders.userById.load(id);
}

/** Who may read a user's email: the user themself and administrators. */
export function assertCanSeePrivateFields(ctx: UsersContext, user: User): void {
  const viewer = ctx.viewer;
  if (!viewer || (viewer.userId !== user.id && viewer.role !== "ADMIN")) {
    throw new ForbiddenError("Only the user and administrators can see this field.");
  }
}

/** For the create-admin command: promotes the user, or creates one with a generated password. */
export async function makeAdmin(
  prisma: PrismaClient,
  rawEmail: string,
  name = "Administrator",
): Promise<{ user: User; generatedPassword?: string }> {
  const email = parseInput(emailSchema, rawEmail, "email");
  const existing = await prisma.user.findUnique({ where: { email } });
  if (existing) {
    const user = existing.role === "ADMIN" ? existing : await prisma.user.update({ where: { id: existing.id }, data: { role: "ADMIN" } });
    return { user };
  }
  const generatedPassword = generatePassword();
  const user = await prisma.user.create({ data: { email, name, role: "ADMIN", passwordHash: await hashPassword(generatedPassword) } });
  return { user, generatedPassword };
}

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

export async function createCustomer(prisma: PrismaClient, email: string, name: string, password: string): Promise<User> {
  return prisma.user.create({ data: { email: normalizeEmail(email), name, passwordHash: await hashPassword(password) } });
}
