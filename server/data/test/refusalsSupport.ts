// Re-exports and one key pair the refusal tests need that the harness does not.
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
export { BLOCK_SIZE, blockHashesOf } from '@mydropbox/shared';
export type { ErrorBody } from '@mydropbox/shared';

/** A signer with a key the server under test does not trust. */
export function generateKeyPairForTests(): AccessTokenSigner {
  return new AccessTokenSigner(generateSigningKeys().privateKeyPem);
}
