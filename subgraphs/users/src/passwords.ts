// Argon2id (memory-hard) with OWASP's recommended cost: 19 MiB, 2 iterations, 1 lane.
import { hash, verify } from "@node-rs/argon2";
import { BadUserInputError } from "../../../lib/errors.js";

const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, which isolated modules cannot read */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 128;

// The most common choices in breach lists that pass the length rule.
const COMMON_PASSWORDS = new Set([
  "1234567890",
  "12345678910",
  "0123456789",
  "qwertyuiop",
  "1q2w3e4r5t",
  "password12",
  "password123",
  "password1234",
  "iloveyou12",
  "abcdefghij",
  "aaaaaaaaaa",
  "qwerty1234",
  "1qaz2wsx3edc",
  "letmein123",
  "welcome123",
  "administrator",
  "passw0rd123",
  "football12",
  "baseball12",
  "princess12",
  "sunshine12",
  "0000000000",
  "1111111111",
  "9876543210",
]);

/** Throws BAD_USER_INPUT naming `field` when the password is too weak to accept. */
export function assertStrongPassword(password: string, email: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new BadUserInputError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, field);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new BadUserInputError(`Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, field);
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered) || new Set(lowered).size < 4) {
    throw new BadUserInputError("Password is too easy to guess; choose a less common one.", field);
  }
  const localPart = email.split("@")[0] ?? "";
  if (localPart.length >= 4 && lowered.includes(localPart.toLowerCase())) {
    throw new BadUserInputError("Password must not contain your email address.", field);
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password).catch(() => false);
}

// Verified against when the email is unknown, so a miss costs as long as a wrong password.
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword("decoy-password-never-matches");
  return decoyHash;
}
