// Judges a new password with zxcvbn-ts and its list of commonly used passwords; says in words why one is refused.
import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/** zxcvbn's score 3 means at least 10^8 guesses: what OWASP suggests for an online service with throttled sign-in. */
export const MIN_PASSWORD_SCORE = 3;

export interface PasswordContext {
  username?: string;
  email?: string;
}

let judge: ZxcvbnFactory | undefined;

// The dictionaries take a few hundred milliseconds to load: once, at the first new password.
function zxcvbn(): ZxcvbnFactory {
  // Judging is quadratic in the length: the first 64 characters decide (a longer password that is weak there is weak).
  judge ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, useLevenshteinDistance: false, maxLength: 64 });
  return judge;
}

const REASONS: Record<string, string> = {
  topTen: 'it is one of the most commonly used passwords',
  topHundred: 'it is one of the most commonly used passwords',
  common: 'it is one of the most commonly used passwords',
  similarToCommon: 'it is one of the most commonly used passwords with a small change',
  simpleRepeat: 'it repeats the same characters',
  extendedRepeat: 'it repeats the same part',
  sequences: 'it is a simple sequence like "abcd" or "1234"',
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a row of keys on the keyboard',
  dates: 'it is mostly a date',
  recentYears: 'it is mostly a recent year',
  userInputs: 'it contains your username or email address',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name',
  pwned: 'it has appeared in leaked password lists',
};

// When zxcvbn gives no warning, the kind of its longest match says what makes the password weak.
const PATTERNS: Record<string, string> = {
  spatial: 'it is a row of keys on the keyboard',
  repeat: 'it repeats the same part',
  sequence: 'it is a simple sequence like "abcd" or "1234"',
  date: 'it is mostly a date',
  dictionary: 'it is made of commonly used words or passwords',
};

/** Why `password` would be guessed quickly, in words; undefined when it is strong enough. */
export function weakPasswordReason(password: string, context: PasswordContext = {}): string | undefined {
  const inputs = ['mydropbox', 'my dropbox', 'dropbox'];
  if (context.username) inputs.push(context.username);
  if (context.email) inputs.push(context.email, context.email.split('@')[0]);
  const result: ZxcvbnResult = zxcvbn().check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const warning = result.feedback.warning ?? '';
  const usesService = result.sequence.some(
    (m) => m.pattern === 'dictionary' && m.dictionaryName === 'userInputs' && /dropbox/i.test(m.matchedWord),
  );
  if (usesService) return 'it is mostly the name of this service, MyDropbox';
  if (REASONS[warning]) return REASONS[warning];
  const longest = [...result.sequence].sort((a, b) => b.token.length - a.token.length)[0];
  return PATTERNS[longest?.pattern ?? ''] ?? 'it follows a pattern that is easy to guess';
}
