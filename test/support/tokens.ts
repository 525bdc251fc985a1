// Tokens made the way an attacker or a clock would make them, for tests of verification.
import { readFileSync } from "node:fs";
import { SignJWT, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { config } from "./client.js";

export async function projectPrivateKey(): Promise<CryptoKey> {
  const file = JSON.parse(readFileSync(config.jwt.keyFile, "utf8")) as { privateJwk: JWK };
  return (await importJWK(file.privateJwk, "EdDSA")) as CryptoKey;
}

export async function signWith(
  key: CryptoKey | Uint8Array,
  claims: { sub: string; role: string },
  options: { alg?: string; expiresAt?: number } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: options.alg ?? "EdDSA", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setIssuedAt(now - 7200)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(key);
}

export async function foreignKey(): Promise<CryptoKey> {
  return (await generateKeyPair("EdDSA")).privateKey;
}

/** Changes the payload but keeps the original signature. */
export function tamper(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const claims = { ...JSON.parse(Buffer.from(payload!, "base64url").toString()), ...changes };
  return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
}

export function unsigned(claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

/** A token with the right claims for `userId` as an ADMIN, signed with a key nobody trusts. */
export async function forgedToken(userId: string): Promise<string> {
  return signWith(await foreignKey(), { sub: userId, role: "ADMIN" });
}
