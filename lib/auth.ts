// Identity is a JWT signed by the users subgraph with an Ed25519 key. The router and every
// subgraph verify it with the public key; no process trusts a user id or role sent any other way.
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
import { ForbiddenError, UnauthenticatedError } from "./errors.js";

export const JWT_ALGORITHM = "EdDSA";
export type Role = "CUSTOMER" | "ADMIN";

/** The verified caller of a request. */
export interface Viewer {
  userId: string;
  role: Role;
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

export async function signToken(viewer: Viewer, privateKey: CryptoKey, options: TokenOptions): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + options.ttlSeconds;
  const token = await new SignJWT({ role: viewer.role })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: "JWT" })
    .setSubject(viewer.userId)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(privateKey);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

export async function verifyToken(
  token: string,
  publicKey: CryptoKey,
  options: Pick<TokenOptions, "issuer" | "audience">,
): Promise<Viewer> {
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [JWT_ALGORITHM],
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (payload.role !== "CUSTOMER" && payload.role !== "ADMIN") throw new UnauthenticatedError("The token carries no valid role.");
    return { userId: payload.sub!, role: payload.role };
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
): Promise<Viewer | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new UnauthenticatedError("The Authorization header must be 'Bearer <token>'.");
  return verifyToken(match[1]!, publicKey, options);
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
