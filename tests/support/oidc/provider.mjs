// A real OpenID provider (npm `oidc-provider`) for the tests: authorization code + PKCE,
// the development login form (any login id, any password), RS256 ID tokens.
// Configured by the environment; prints "ready" once it listens.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(' ').filter(Boolean);
const secret = process.env.OIDC_CLIENT_SECRET;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const client = (clientId) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(`http://127.0.0.1:${port}`, {
  // `other` is a second client: its tokens must be refused by Parley (audience)
  // `shortlived` gets 1-second ID tokens (expiry)
  clients: [client(process.env.OIDC_CLIENT_ID), client('other'), client('shortlived')],
  jwks: { keys: [jwk] },
  cookies: { keys: ['parley-test-cookie-key'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // profile claims in the ID token itself (not only from userinfo)
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
  ttl: {
    IdToken: (ctx, token, c) => (c && c.clientId === 'shortlived' ? 1 : 600),
    AuthorizationCode: 60,
    AccessToken: 600,
    Interaction: 600,
    Session: 600,
    Grant: 600,
  },
  async findAccount(ctx, sub) {
    // the dev login form's login id is the subject; `Name <sub>` its display name
    return {
      accountId: sub,
      async claims() {
        return { sub, name: `Name ${sub}`, preferred_username: sub, email: `${sub}@example.test` };
      },
    };
  },
});
provider.listen(port, '127.0.0.1', () => console.log('ready'));
