// The inline secret of a scanner registration (a Basic password, a bearer token or an API key)
// is kept apart from the rest of it: stored in a column of its own, never shown by the API,
// never logged. These two functions take it out of a registration and put it back.
import type { VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';

type Auth = VulnerabilityScannerConfig['auth'];

/** The registration without its inline secret, and the secret (undefined: none inline). */
export function splitSecret(scanner: VulnerabilityScannerConfig): { scanner: VulnerabilityScannerConfig; secret: string | undefined } {
  const auth = scanner.auth;
  switch (auth.kind) {
    case 'none':
      return { scanner, secret: undefined };
    case 'basic': {
      const { password, ...rest } = auth;
      return { scanner: { ...scanner, auth: rest }, secret: password };
    }
    case 'bearer': {
      const { token, ...rest } = auth;
      return { scanner: { ...scanner, auth: rest }, secret: token };
    }
    case 'apikey': {
      const { apiKey, ...rest } = auth;
      return { scanner: { ...scanner, auth: rest }, secret: apiKey };
    }
  }
}

/** The registration with `secret` back in its inline field (undefined: as it is). */
export function withSecret(scanner: VulnerabilityScannerConfig, secret: string | undefined): VulnerabilityScannerConfig {
  if (secret === undefined) return scanner;
  return { ...scanner, auth: withAuthSecret(scanner.auth, secret) };
}

function withAuthSecret(auth: Auth, secret: string): Auth {
  switch (auth.kind) {
    case 'none':
      return auth;
    case 'basic':
      return { ...auth, password: secret };
    case 'bearer':
      return { ...auth, token: secret };
    case 'apikey':
      return { ...auth, apiKey: secret };
  }
}

/** The name of the auth field that holds the inline secret of `kind` (none: undefined). */
export function secretField(kind: Auth['kind']): 'password' | 'token' | 'apiKey' | undefined {
  return ({ none: undefined, basic: 'password', bearer: 'token', apikey: 'apiKey' } as const)[kind];
}
