// Identity is a JWT signed by the users subgraph with an Ed25519 key. The router and every
// subgraph verify it with the public key; no process trusts a user id or role sent any other way.
// Each token belongs to a session (`sid`) and can be revoked before it expires (lib/revocations.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import {
  SignJWT,
  jwtVerify,
  generateKeyPair,
  exportJWK,
  importJWK,
  importPKCS8,
  importSPKI,
  errors as joseErrors,
  type JWK,
  type CryptoKey,
} from "jose";
import type { Config } from "./config.js";
import { asHttp401, ForbiddenError, UnauthenticatedError } from "./errors.js";
import type { SessionClaims, TokenRevocations } from "./revocations.js";

export const JWT_ALGORITHM = "EdDSA";
export type Role = "CUSTOMER" | "ADMIN";

/** The verified caller of a request. */
export interface Viewer {
  userId: string;
  role: Role;
  /** The sign-in session the token belongs to (`sid` claim); `logout` ends it. */
  sessionId: string;
}

/** What an access token is issued for. */
export interface TokenSubject extends Viewer {
  /** Milliseconds; taken before the role was read, so a role change racing the sign-in revokes it. */
  issuedAtMs: number;
}

export interface SigningKeys {
  privateKey?: CryptoKey;
  publicKey: CryptoKey;
}

interface DevKeyFile {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Creates the development key pair once; concurrent callers keep whichever file landed first. */
export async function ensureDevKeyFile(keyFile: string): Promise<void> {
  if (existsSync(keyFile)) return;
  const { privateKey, publicKey } = await generateKeyPair(JWT_ALGORITHM, { extractable: true });
  const content: DevKeyFile = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  mkdirSync(path.dirname(keyFile), { recursive: true });
  const temporary = `${keyFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(content), { mode: 0o600 });
  if (existsSync(keyFile)) return;
  renameSync(temporary, keyFile);
}

/** Production keys come from the environment; development falls back to a generated, git-ignored key file. */
export async function loadSigningKeys(config: Config): Promise<SigningKeys> {
  const { privateKeyPem, publicKeyPem, keyFile } = config.jwt;
  if (publicKeyPem) {
    return {
      publicKey: await importSPKI(publicKeyPem, JWT_ALGORITHM),
      privateKey: privateKeyPem ? await importPKCS8(privateKeyPem, JWT_ALGORITHM) : undefined,
    };
  }
  if (config.isProduction) throw new Error("JWT_PUBLIC_KEY is required in production");
  await ensureDevKeyFile(keyFile);
  const file = JSON.parse(readFileSync(keyFile, "utf8")) as DevKeyFile;
  return {
    privateKey: (await importJWK(file.privateJwk, JWT_ALGORITHM)) as CryptoKey,
    publicKey: (await importJWK(file.publicJwk, JWT_ALGORITHM)) as CryptoKey,
  };
}

export interface TokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function signToken(
  subject: TokenSubject,
  privateKey: CryptoKey,
  options: TokenOptions,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(subject.issuedAtMs / 1000);
  const expiresAt = issuedAt + options.ttlSeconds;
  // `iat` has whole seconds; revocation markers compare milliseconds, so a token issued in the same
  // second as a revocation, but after it, stays valid.
  const token = await new SignJWT({ role: subject.role, sid: subject.sessionId, iat_ms: subject.issuedAtMs })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: "JWT" })
    .setSubject(subject.userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(privateKey);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

/** Checks signature, issuer, audience, expiry and claims, then that the session was not revoked. */
export async function verifyToken(
  token: string,
  publicKey: CryptoKey,
  options: Pick<TokenOptions, "issuer" | "audience">,
  revocations: TokenRevocations,
): Promise<Viewer> {
  const claims = await verifySignedClaims(token, publicKey, options);
  if (await revocations.isRevoked(claims)) throw new UnauthenticatedError("This session has ended; sign in again.");
  return { userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
}

async function verifySignedClaims(
  token: string,
  publicKey: CryptoKey,
  options: Pick<TokenOptions, "issuer" | "audience">,
): Promise<SessionClaims & { role: Role }> {
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [JWT_ALGORITHM],
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (payload.role !== "CUSTOMER" && payload.role !== "ADMIN") throw new UnauthenticatedError("The token carries no valid role.");
    // Checked after the signature and expiry, so an expired token still says it expired. A token
    // without a session (made before sessions existed) cannot be revoked, so it is refused.
    const { sid, iat_ms: issuedAtMs } = payload;
    if (
      typeof sid !== "string" ||
      sid.length === 0 ||
      sid.length > 64 ||
      typeof issuedAtMs !== "number" ||
      !Number.isSafeInteger(issuedAtMs)
    ) {
      throw new UnauthenticatedError("The token is not valid; sign in again.");
    }
    return { userId: payload.sub!, role: payload.role, sessionId: sid, issuedAtMs };
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError("The token has expired; sign in again.");
    throw new UnauthenticatedError("The token is not valid.");
  }
}

/** Reads `Authorization: Bearer <jwt>`. No header means an anonymous caller; a bad token is an error. */
export async function viewerFromAuthorization(
  header: string | undefined,
  publicKey: CryptoKey,
  options: Pick<TokenOptions, "issuer" | "audience">,
  revocations: TokenRevocations,
): Promise<Viewer | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new UnauthenticatedError("The Authorization header must be 'Bearer <token>'.");
  return verifyToken(match[1]!, publicKey, options, revocations);
}

/**
 * viewerFromAuthorization for a whole HTTP request (the router's and every subgraph's): a bad token
 * refuses the request with HTTP 401 before any operation runs.
 */
export async function authenticateRequest(
  header: string | undefined,
  publicKey: CryptoKey,
  options: Pick<TokenOptions, "issuer" | "audience">,
  revocations: TokenRevocations,
): Promise<Viewer | null> {
  try {
    return await viewerFromAuthorization(header, publicKey, options, revocations);
  } catch (error) {
    throw error instanceof UnauthenticatedError ? asHttp401(error) : error;
  }
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw new UnauthenticatedError();
  return viewer;
}

export function requireAdmin(viewer: Viewer | null): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.role !== "ADMIN") throw new ForbiddenError("Only administrators can do this.");
  return signedIn;
}
