// Accounts, credentials and roles: the rules, callable without HTTP.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { requireAdmin, requireViewer } from "../../../lib/auth.js";
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError } from "../../../lib/errors.js";
import { decodeCursor, encodeCursor, pageSize, toConnection } from "../../../lib/pagination.js";
import { isUuid } from "../../../lib/loaders.js";
import { parseInput } from "../../../lib/validation.js";
import { Prisma, type PrismaClient, type User, type Role } from "../../../prisma/users/__generated__/client.js";
import type { UsersContext } from "./context.js";
import { assertStrongPassword, decoyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";

export type { User };

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const emailSchema = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"))
  .transform(normalizeEmail);
const nameSchema = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");
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

export interface AuthResult {
  token: string;
  expiresAt: Date;
  user: User;
}

async function signIn(ctx: UsersContext, user: User): Promise<AuthResult> {
  const viewer = { userId: user.id, role: user.role };
  const { token, expiresAt } = await ctx.issueToken(viewer);
  // The caller has just proven who they are, so the rest of this response may show their private fields.
  ctx.viewer = viewer;
  return { token, expiresAt, user };
}

const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

export async function register(ctx: UsersContext, input: unknown): Promise<AuthResult> {
  const { email, password, name } = parseInput(registerSchema, input);
  assertStrongPassword(password, email, "input.password");
  try {
    const user = await ctx.prisma.user.create({ data: { email, name, passwordHash: await hashPassword(password) } });
    ctx.log.info({ userId: user.id }, "user registered");
    return signIn(ctx, user);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError("An account with this email already exists.", "input.email");
    throw error;
  }
}

export async function login(ctx: UsersContext, email: string, password: string): Promise<AuthResult> {
  const user = await ctx.prisma.user.findUnique({ where: { email: normalizeEmail(email) } });
  const matches = user
    ? await verifyPassword(user.passwordHash, password)
    : await verifyPassword(await decoyPasswordHash(), password).then(() => false);
  if (!user || !matches) throw new UnauthenticatedError("Invalid email or password.");
  return signIn(ctx, user);
}

export async function findById(ctx: UsersContext, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  return ctx.prisma.user.findUnique({ where: { id } });
}

export async function me(ctx: UsersContext): Promise<User | null> {
  return ctx.viewer ? findById(ctx, ctx.viewer.userId) : null;
}

export async function updateProfile(ctx: UsersContext, input: unknown): Promise<User> {
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
      throw new BadUserInputError("The current password is not correct.", "input.currentPassword");
    }
    assertStrongPassword(changes.newPassword, user.email, "input.newPassword");
    data.passwordHash = await hashPassword(changes.newPassword);
  }
  return ctx.prisma.user.update({ where: { id: user.id }, data });
}

export async function listUsers(ctx: UsersContext, args: { first?: number | null; after?: string | null; search?: string | null }) {
  requireAdmin(ctx.viewer);
  const size = pageSize(args.first);
  const search = args.search?.trim();
  const where: Prisma.UserWhereInput = search
    ? { OR: [{ email: { contains: search, mode: "insensitive" } }, { name: { contains: search, mode: "insensitive" } }] }
    : {};
  let keyset: Prisma.UserWhereInput = {};
  if (args.after) {
    const [createdAt, id] = decodeCursor(args.after);
    const at = new Date(String(createdAt));
    if (typeof id !== "string" || !z.uuid().safeParse(id).success || Number.isNaN(at.getTime()))
      throw new BadUserInputError("The cursor is not valid.", "after");
    keyset = { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
  }
  const [rows, totalCount] = await Promise.all([
    ctx.prisma.user.findMany({ where: { AND: [where, keyset] }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: size + 1 }),
    ctx.prisma.user.count({ where }),
  ]);
  return toConnection(rows, size, (u) => encodeCursor([u.createdAt.toISOString(), u.id]), totalCount, Boolean(args.after));
}

export async function getUser(ctx: UsersContext, id: string): Promise<User | null> {
  requireAdmin(ctx.viewer);
  return findById(ctx, id);
}

export async function setUserRole(ctx: UsersContext, userId: string, role: Role): Promise<User> {
  requireAdmin(ctx.viewer);
  const user = await findById(ctx, userId);
  if (!user) throw new NotFoundError("User");
  if (user.role === role) return user;
  // Serializable, so two admins demoting each other at once cannot leave no admin at all.
  return ctx.prisma.$transaction(
    async (tx) => {
      if (user.role === "ADMIN") {
        const admins = await tx.user.count({ where: { role: "ADMIN" } });
        if (admins <= 1) throw new ConflictError("The last administrator cannot be demoted.", "role");
      }
      return tx.user.update({ where: { id: user.id }, data: { role } });
    },
    { isolationLevel: "Serializable" },
  );
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
