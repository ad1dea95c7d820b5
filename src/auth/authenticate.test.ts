import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { UserRecord } from '../ports/identity-store.js';
import {
  AuthenticationError,
  Authenticator,
  parseTokenSubject,
  tokenSubject,
  unauthorizedError,
  type AuthErrorReason,
  type Authentication,
} from './authenticate.js';
import { hashPassword } from './passwords.js';
import { createRobotAccount } from './robots.js';
import { accessAllows, formatBearerChallenge } from './scope.js';
import { openTestIdentityStore, type TestIdentityStore } from './testing/identity-store.js';
import type { TokenErrorReason } from './token-errors.js';
import { RegistryTokenService } from './token-service.js';

const service = 'registry.test';
const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Authenticator', () => {
  let identity: TestIdentityStore;
  let clock: TestClock;
  let tokens: RegistryTokenService;
  let auth: Authenticator;
  let alice: UserRecord;

  beforeEach(async () => {
    clock = new TestClock();
    identity = await openTestIdentityStore(clock.now);
    tokens = new RegistryTokenService(identity.store, { issuer: 'scangate', clock: clock.now });
    auth = new Authenticator({ store: identity.store, tokens, service, clock: clock.now });
    alice = await identity.store.createUser({ name: 'alice', passwordHash: await hashPassword('pass:word with colon') });
  });
  afterEach(() => identity.close());

  const refusal = async (header: string, reason: AuthErrorReason, tokenReason?: TokenErrorReason) => {
    const error = await auth.authenticate(header).then(() => undefined, (e: unknown) => e);
    expect(error, header).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).reason).toBe(reason);
    if (tokenReason) expect((error as AuthenticationError).tokenReason).toBe(tokenReason);
    return error as AuthenticationError;
  };
  const bearer = async (repository: string, actions: string[], subject = 'user:alice') =>
    (await tokens.issue({ subject, access: [{ type: 'repository', name: repository, actions }], service })).token;

  it('is anonymous without a header', async () => {
    expect(await auth.authenticate(undefined)).toBeUndefined();
    expect(await auth.authenticate('  ')).toBeUndefined();
  });

  describe('Basic with a password', () => {
    it('authenticates a user, splitting at the first colon and ignoring the scheme case', async () => {
      const expected: Authentication = { scheme: 'basic', principal: { kind: 'user', id: alice.id, name: 'alice' } };
      expect(await auth.authenticate(basic('alice', 'pass:word with colon'))).toEqual(expected);
      expect(await auth.authenticate(basic('alice', 'pass:word with colon').replace('Basic', 'bAsIc'))).toEqual(expected);
    });

    it('refuses an unknown user, a wrong password and a disabled user', async () => {
      await refusal(basic('mallory', 'pass:word with colon'), 'unknown_user');
      await refusal(basic('alice', 'pass:word'), 'wrong_password');
      await refusal(basic('Alice', 'pass:word with colon'), 'unknown_user');
      await identity.store.updateUser(alice.id, { disabled: true });
      await refusal(basic('alice', 'pass:word with colon'), 'disabled');
    });

    it('refuses malformed headers and other schemes', async () => {
      const encoded = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
      for (const header of ['Basic', 'Basic !!!!', 'Basic a b', encoded('no-colon'), encoded(':password'), 'alice:password', 'Basic\tYTpi']) {
        await refusal(header, 'malformed_header');
      }
      await refusal('Digest username="alice"', 'unsupported_scheme');
      await refusal('Digest abc', 'unsupported_scheme');
      await refusal('Bearer a{b}', 'malformed_header');
    });
  });

  describe('Basic with a robot token', () => {
    it('authenticates the robot and records its use at most once a minute', async () => {
      const { robot, token } = await createRobotAccount(identity.store, { name: 'ci', ownerId: alice.id });
      expect(await auth.authenticate(basic('ci', token))).toEqual({ scheme: 'basic', principal: { kind: 'robot', id: robot.id, name: 'ci', ownerId: alice.id } });
      expect((await identity.store.getRobot(robot.id))?.lastUsedAt).toEqual(clock.now());
      const firstUse = clock.now();
      clock.advance(30_000);
      await auth.authenticate(basic('ci', token));
      expect((await identity.store.getRobot(robot.id))?.lastUsedAt).toEqual(firstUse);
      clock.advance(30_000);
      await auth.authenticate(basic('ci', token));
      expect((await identity.store.getRobot(robot.id))?.lastUsedAt).toEqual(clock.now());
    });

    it('refuses a wrong secret, another robot name, a deleted robot, an expired token and a disabled owner', async () => {
      const { robot, token } = await createRobotAccount(identity.store, { name: 'ci', ownerId: alice.id, expiresAt: new Date(clock.now().getTime() + 60_000) });
      const { token: otherToken } = await createRobotAccount(identity.store, { name: 'other', ownerId: alice.id });
      await refusal(basic('ci', `${token.slice(0, -2)}AA`), 'wrong_token');
      await refusal(basic('other', token), 'wrong_token');
      await refusal(basic('ci', otherToken), 'wrong_token');
      clock.advance(60_000);
      await refusal(basic('ci', token), 'expired_credentials');
      await identity.store.updateUser(alice.id, { disabled: true });
      await refusal(basic('other', otherToken), 'disabled');
      await identity.store.deleteRobot(robot.id);
      await refusal(basic('ci', token), 'unknown_robot');
    });

    it('does not take a robot token as a user password', async () => {
      const { token } = await createRobotAccount(identity.store, { name: 'ci', ownerId: alice.id });
      await refusal(basic('alice', token), 'wrong_token');
    });
  });

  describe('Bearer', () => {
    it('returns the access claim of a valid token, which opens only its repository', async () => {
      const result = await auth.authenticate(`Bearer ${await bearer('a/x', ['pull', 'push'])}`);
      expect(result).toMatchObject({ scheme: 'bearer', subject: { kind: 'user', name: 'alice' }, access: [{ type: 'repository', name: 'a/x', actions: ['pull', 'push'] }] });
      const access = result?.scheme === 'bearer' ? result.access : [];
      expect(accessAllows(access, 'repository', 'a/x', 'push')).toBe(true);
      expect(accessAllows(access, 'repository', 'a/y', 'pull')).toBe(false);
    });

    it('refuses expired, tampered, foreign-key, alg-none and other-service tokens', async () => {
      const token = await bearer('a/x', ['pull']);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const widened = b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), access: [{ type: 'repository', name: 'a/y', actions: ['pull'] }] });
      await refusal(`Bearer ${header}.${widened}.${signature}`, 'invalid_token', 'bad_signature');
      const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
      await refusal(`Bearer ${b64({ alg: 'none', kid })}.${payload}.`, 'invalid_token', 'algorithm_not_allowed');
      const foreignIdentity = await openTestIdentityStore(clock.now);
      const foreign = new RegistryTokenService(foreignIdentity.store, { issuer: 'scangate', clock: clock.now });
      const foreignToken = (await foreign.issue({ subject: 'user:alice', access: [], service })).token;
      await foreignIdentity.close();
      await refusal(`Bearer ${foreignToken}`, 'invalid_token', 'unknown_key');
      const elsewhere = (await tokens.issue({ subject: 'user:alice', access: [], service: 'other' })).token;
      await refusal(`Bearer ${elsewhere}`, 'invalid_token', 'wrong_audience');
      clock.advance(3600_000);
      await refusal(`Bearer ${token}`, 'invalid_token', 'expired');
    });

    it('refuses a valid token whose subject is not <kind>:<name>', async () => {
      await refusal(`Bearer ${await bearer('a/x', ['pull'], 'alice')}`, 'invalid_token');
    });

    it('refuses an HS256 token signed with a guessable secret', async () => {
      const forged = await new SignJWT({ sub: 'user:alice', aud: service, iss: 'scangate', access: [] }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('secret'));
      await refusal(`Bearer ${forged}`, 'invalid_token', 'algorithm_not_allowed');
    });
  });

  it('renders a 401 with the challenge that never tells whether a name exists', async () => {
    const challenge = formatBearerChallenge({ realm: 'http://h/token', service });
    const unknown = unauthorizedError(await refusal(basic('mallory', 'x'), 'unknown_user'), challenge);
    const wrong = unauthorizedError(await refusal(basic('alice', 'x'), 'wrong_password'), challenge);
    expect(unknown.status).toBe(401);
    expect(unknown.headers).toEqual({ 'WWW-Authenticate': challenge });
    expect(unknown.toBody()).toEqual(wrong.toBody());
    expect(unknown.toBody()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] });
    expect(unauthorizedError(undefined, challenge).message).toBe('authentication required');
  });

  it('writes and reads token subjects', () => {
    expect(tokenSubject({ kind: 'robot', name: 'ci' })).toBe('robot:ci');
    expect(parseTokenSubject('robot:ci')).toEqual({ kind: 'robot', name: 'ci' });
    expect(parseTokenSubject('group:x')).toBeUndefined();
  });
});
