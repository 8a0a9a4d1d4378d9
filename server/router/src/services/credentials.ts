// The rules for usernames, emails and passwords, and argon2id hashing; the website shows the same messages.
import { hash, verify } from '@node-rs/argon2';
import { MyDropboxError } from '@mydropbox/shared';
import { weakPasswordReason, type PasswordContext } from './passwordStrength';

export const USERNAME_RULE =
  'Usernames are 3 to 32 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.';
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const MIN_PASSWORD_LENGTH = 8;
// Long enough for any passphrase or password manager, short enough that hashing it is no denial of service.
export const MAX_PASSWORD_LENGTH = 1024;

// Algorithm.Argon2id is a const enum in the typings; tsx cannot inline ambient const enums, so the value is spelled out.
const ARGON2ID = 2;

/** Usernames are case-insensitive: "Alice" signs up and signs in as "alice". */
export function normalizeUsername(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '')
    throw new MyDropboxError('invalid_request', `Please choose a username. ${USERNAME_RULE}`);
  const username = input.trim().toLowerCase();
  if (!USERNAME.test(username))
    throw new MyDropboxError('invalid_request', `"${input.slice(0, 40)}" is not a valid username. ${USERNAME_RULE}`);
  return username;
}

/** Emails are compared lowercased, so one address cannot hold two accounts by changing case. */
export function normalizeEmail(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') throw new MyDropboxError('invalid_request', 'Please enter your email address.');
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new MyDropboxError('invalid_request', 'That email address does not look right; it should be like name@example.com.');
  }
  return email;
}

/** A new password's rules: its length, and not one that would be guessed quickly (see passwordStrength.ts). */
export function checkNewPassword(input: unknown, context: PasswordContext = {}): string {
  if (typeof input !== 'string' || input.length < MIN_PASSWORD_LENGTH) {
    throw new MyDropboxError('invalid_request', `Please choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (input.length > MAX_PASSWORD_LENGTH)
    throw new MyDropboxError('invalid_request', `Passwords can be at most ${MAX_PASSWORD_LENGTH} characters.`);
  const reason = weakPasswordReason(input, context);
  if (reason) {
    throw new MyDropboxError(
      'invalid_request',
      `Please choose another password: ${reason}, so it would be guessed quickly. A few unrelated words make a strong one that is easy to remember.`,
    );
  }
  return input;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no hash (unknown user) it still spends the time
 * of one verification, so response time does not reveal which usernames exist.
 */
export async function passwordMatches(storedHash: string | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  dummyHash ??= hashPassword('not the password of anyone');
  const target = storedHash ?? (await dummyHash);
  try {
    const ok = await verify(target, password);
    return ok && storedHash !== undefined;
  } catch {
    return false;
  }
}
