// A new Ed25519 signing key (JWS `EdDSA`) as the key stores keep it: the public JWK named by
// its RFC 7638 thumbprint (the `kid` in every signature's header), and the private JWK as
// text. Registry tokens (token-service.ts) and vulnerability reports
// (src/vulnerabilities/report-signer.ts) each make theirs here, and keep them apart.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { NewSigningKey } from '../ports/identity-store.js';

export const signingAlgorithm = 'EdDSA';

export async function generateSigningKey(): Promise<{ key: NewSigningKey; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair(signingAlgorithm, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    key: {
      kid,
      algorithm: signingAlgorithm,
      publicJwk: { ...publicJwk, kid, alg: signingAlgorithm, use: 'sig' },
      privateJwk: JSON.stringify(await exportJWK(privateKey)),
    },
    privateKey,
  };
}
