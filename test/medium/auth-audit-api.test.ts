import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import type { AuditEntry__Output } from '../../libs/contracts/src/generated/vsnet/v1/AuditEntry.js';
import type { CreatePrincipalResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreatePrincipalResponse.js';
import type { CreateTokenResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/CreateTokenResponse.js';
import type { ListAuditRequest } from '../../libs/contracts/src/generated/vsnet/v1/ListAuditRequest.js';
import type { ListAuditResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/ListAuditResponse.js';
import type { ListPrincipalsResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/ListPrincipalsResponse.js';
import type { WhoAmIResponse__Output } from '../../libs/contracts/src/generated/vsnet/v1/WhoAmIResponse.js';
import { startControl } from './support/control-service.js';
import type { CallResult, RunningControl } from './support/control-service.js';
import { applyAsAdmin, labCluster } from './support/documents.js';

// AuthService (principals, tokens, WhoAmI) and AuditService/ListAudit as a caller sees them,
// on one running control service. The tests build on each other in order: principals made
// early show up in the audit trail read later.

function statusOf(result: CallResult<unknown>): string {
  return status[result.err?.code ?? status.OK];
}

describe('AuthService and AuditService', () => {
  let r: RunningControl;
  /** The generation of the applied lab cluster. */
  let labGeneration = '';

  beforeAll(async () => {
    r = await startControl('authaudit');
  }, 60_000);

  afterAll(async () => {
    await r.stop();
  });

  async function listAudit(request: ListAuditRequest) {
    return r.call<ListAuditResponse__Output>('AuditService', 'ListAudit', request, r.adminToken);
  }

  /** Every entry `request` selects, following nextPageToken. */
  async function allAudit(request: ListAuditRequest): Promise<AuditEntry__Output[]> {
    const entries: AuditEntry__Output[] = [];
    let pageToken = '';
    do {
      const { res, err } = await listAudit({ ...request, pageToken });
      expect(err).toBeUndefined();
      entries.push(...(res?.entries ?? []));
      pageToken = res?.nextPageToken ?? '';
    } while (pageToken !== '');
    return entries;
  }

  describe('principals', () => {
    it('creates one before the cluster exists and reports generation 0', async () => {
      const { res, err } = await r.call<CreatePrincipalResponse__Output>(
        'AuthService',
        'CreatePrincipal',
        { name: 'auditor', role: 'ROLE_READ_ONLY' },
        r.adminToken,
      );
      expect(err).toBeUndefined();
      expect(res?.principal).toMatchObject({ name: 'auditor', role: 'ROLE_READ_ONLY', vsvrs: [] });
      expect(res?.generation).toBe('0');
    });

    it('scopes a vsvr NETWORK principal to existing vsvrs and reports the current generation', async () => {
      labGeneration = await applyAsAdmin(r, labCluster());
      const { res, err } = await r.call<CreatePrincipalResponse__Output>(
        'AuthService',
        'CreatePrincipal',
        { name: 'ops_team', role: 'ROLE_VSVR_NETWORK', vsvrs: ['SALES', 'eng'] },
        r.adminToken,
      );
      expect(err).toBeUndefined();
      expect(res?.principal).toMatchObject({
        name: 'ops_team',
        role: 'ROLE_VSVR_NETWORK',
        vsvrs: ['eng', 'sales'],
      });
      expect(res?.generation).toBe(labGeneration);
    });

    it('refuses an unspecified role, a duplicate name and an unknown vsvr', async () => {
      const unspecified = await r.call(
        'AuthService',
        'CreatePrincipal',
        { name: 'nobody', role: 'ROLE_UNSPECIFIED' },
        r.adminToken,
      );
      expect(statusOf(unspecified)).toBe('INVALID_ARGUMENT');
      expect(unspecified.details?.violations.map((v) => v.field)).toEqual(['role']);
      const duplicate = await r.call(
        'AuthService',
        'CreatePrincipal',
        { name: 'auditor', role: 'ROLE_READ_ONLY' },
        r.adminToken,
      );
      expect(statusOf(duplicate)).toBe('ALREADY_EXISTS');
      const unknown = await r.call(
        'AuthService',
        'CreatePrincipal',
        { name: 'nobody', role: 'ROLE_VSVR_NETWORK', vsvrs: ['nosuch'] },
        r.adminToken,
      );
      expect(statusOf(unknown)).toBe('FAILED_PRECONDITION');
      expect(unknown.details?.violations.map((v) => v.field)).toEqual(['vsvrs[0]']);
    });

    it('lists every principal in name order, page by page', async () => {
      await r.principal('axb', 'read-only');
      const names: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const { res, err } = await r.call<ListPrincipalsResponse__Output>(
          'AuthService',
          'ListPrincipals',
          { pageSize: 2, pageToken },
          r.adminToken,
        );
        expect(err).toBeUndefined();
        names.push(...(res?.principals ?? []).map((p) => p.name));
        pageToken = res?.nextPageToken ?? '';
        pages += 1;
      } while (pageToken !== '');
      expect(names).toEqual(['admin', 'auditor', 'axb', 'ops_team']);
      expect(pages).toBe(2);
      const forged = await r.call(
        'AuthService',
        'ListPrincipals',
        { pageToken: Buffer.from('audit:1').toString('base64url') },
        r.adminToken,
      );
      expect(statusOf(forged)).toBe('INVALID_ARGUMENT');
      const tooMany = await r.call(
        'AuthService',
        'ListPrincipals',
        { pageSize: 1001 },
        r.adminToken,
      );
      expect(statusOf(tooMany)).toBe('INVALID_ARGUMENT');
    });
  });

  describe('tokens', () => {
    it('creates a token whose secret identifies its principal in WhoAmI', async () => {
      const { res, err } = await r.call<CreateTokenResponse__Output>(
        'AuthService',
        'CreateToken',
        { principal: 'ops_team', description: 'ci pipeline' },
        r.adminToken,
      );
      expect(err).toBeUndefined();
      expect(res?.token).toMatchObject({
        principal: 'ops_team',
        description: 'ci pipeline',
        expiresUnixMs: '0',
      });
      expect(res?.generation).toBe(labGeneration);
      const who = await r.call<WhoAmIResponse__Output>('AuthService', 'WhoAmI', {}, res?.secret);
      expect(who.res).toEqual({
        principal: expect.objectContaining({
          name: 'ops_team',
          role: 'ROLE_VSVR_NETWORK',
          vsvrs: ['eng', 'sales'],
        }),
        tokenId: res?.token?.id,
      });
    });

    it('refuses an expiry in the past and an unknown principal', async () => {
      const past = await r.call(
        'AuthService',
        'CreateToken',
        { principal: 'auditor', expiresUnixMs: String(Date.now() - 1000) },
        r.adminToken,
      );
      expect(statusOf(past)).toBe('INVALID_ARGUMENT');
      expect(past.details?.violations.map((v) => v.field)).toEqual(['expiresUnixMs']);
      const unknown = await r.call(
        'AuthService',
        'CreateToken',
        { principal: 'nosuch' },
        r.adminToken,
      );
      expect(statusOf(unknown)).toBe('NOT_FOUND');
    });

    it('lets a principal revoke its own token but not see another principal’s', async () => {
      const ownSecret = await r.principal('owner', 'read-only');
      const own = await r.call<WhoAmIResponse__Output>('AuthService', 'WhoAmI', {}, ownSecret);
      const otherToken = await r.call<CreateTokenResponse__Output>(
        'AuthService',
        'CreateToken',
        { principal: 'auditor' },
        r.adminToken,
      );
      const other = await r.call(
        'AuthService',
        'RevokeToken',
        { id: otherToken.res?.token?.id },
        ownSecret,
      );
      expect(statusOf(other)).toBe('NOT_FOUND');
      const mine = await r.call('AuthService', 'RevokeToken', { id: own.res?.tokenId }, ownSecret);
      expect(statusOf(mine)).toBe('OK');
      const again = await r.call(
        'AuthService',
        'RevokeToken',
        { id: own.res?.tokenId },
        r.adminToken,
      );
      expect(statusOf(again)).toBe('NOT_FOUND');
    });
  });

  describe('ListAudit', () => {
    it('lists entries newest first, with generation 0 for principal and token changes', async () => {
      const entries = await allAudit({ pageSize: 3 });
      const ids = entries.map((e) => BigInt(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
      expect(new Set(ids).size).toBe(ids.length);
      const apply = entries.find((e) => e.rpc === '/vsnet.v1.ConfigService/Apply');
      expect(apply).toMatchObject({ principal: 'admin', generation: labGeneration });
      const created = entries.find((e) => e.target === 'principal ops_team');
      expect(created).toMatchObject({
        principal: 'admin',
        rpc: '/vsnet.v1.AuthService/CreatePrincipal',
        generation: '0',
      });
      expect(created?.peer).toMatch(/127\.0\.0\.1/);
      // The revocation the owner made of its own token is recorded under its name.
      expect(entries[0]).toMatchObject({
        principal: 'owner',
        rpc: '/vsnet.v1.AuthService/RevokeToken',
      });
    });

    it('filters by principal, method (full or last part) and target (exact or prefix)', async () => {
      const byOwner = await allAudit({ filter: { principal: 'owner' } });
      expect(byOwner.map((e) => e.rpc)).toEqual(['/vsnet.v1.AuthService/RevokeToken']);
      const short = await allAudit({ filter: { rpc: 'CreatePrincipal' } });
      const full = await allAudit({ filter: { rpc: '/vsnet.v1.AuthService/CreatePrincipal' } });
      expect(short.map((e) => e.target)).toEqual(['principal ops_team', 'principal auditor']);
      expect(full).toEqual(short);
      const exact = await allAudit({ filter: { target: 'principal auditor' } });
      expect(exact.map((e) => e.target)).toEqual(['principal auditor']);
      // `_` is a LIKE wildcard; here it must match only itself.
      await r.principal('a_b', 'read-only');
      const prefix = await allAudit({ filter: { target: 'principal a_*' } });
      expect(prefix.map((e) => e.target)).toEqual(['principal a_b']);
    });

    it('filters by time: since ≤ time < until', async () => {
      const all = await allAudit({});
      const middle = all[Math.floor(all.length / 2)];
      if (middle === undefined) {
        throw new Error('the audit trail is empty');
      }
      const at = Number(middle.timeUnixMs);
      const since = await allAudit({ filter: { sinceUnixMs: at } });
      const until = await allAudit({ filter: { untilUnixMs: at } });
      expect(since.map((e) => e.id)).toContain(middle.id);
      expect(until.map((e) => e.id)).not.toContain(middle.id);
      expect(since.every((e) => Number(e.timeUnixMs) >= at)).toBe(true);
      expect(until.every((e) => Number(e.timeUnixMs) < at)).toBe(true);
      expect(since.length + until.length).toBe(all.length);
    });

    it('refuses a forged page token, a range that ends before it starts, and too large a page', async () => {
      const forged = await listAudit({ pageToken: 'not-a-token' });
      expect(statusOf(forged)).toBe('INVALID_ARGUMENT');
      expect(forged.details?.violations.map((v) => v.field)).toEqual(['pageToken']);
      const backwards = await listAudit({ filter: { sinceUnixMs: 2000, untilUnixMs: 1000 } });
      expect(statusOf(backwards)).toBe('INVALID_ARGUMENT');
      expect(backwards.details?.violations.map((v) => v.field)).toEqual(['filter.untilUnixMs']);
      const tooMany = await listAudit({ pageSize: 1001 });
      expect(statusOf(tooMany)).toBe('INVALID_ARGUMENT');
      expect(tooMany.details?.violations.map((v) => v.field)).toEqual(['pageSize']);
    });

    it('answers a read-only principal', async () => {
      const reader = await r.principal('reader', 'read-only');
      const { err } = await r.call('AuditService', 'ListAudit', {}, reader);
      expect(err).toBeUndefined();
    });
  });

  describe('limits', () => {
    const YEAR_MS = 365.25 * 24 * 3600 * 1000;

    it('refuses an expiry more than ten years away at expiresUnixMs, and takes one within', async () => {
      for (const expiresUnixMs of [
        String(Math.round(Date.now() + 11 * YEAR_MS)),
        // Year 10000: beyond a DATETIME; the last time a Date holds; the largest uint64.
        '253402300800000',
        '8640000000000000',
        '18446744073709551615',
      ]) {
        const far = await r.call(
          'AuthService',
          'CreateToken',
          { principal: 'auditor', expiresUnixMs },
          r.adminToken,
        );
        expect({ expiresUnixMs, status: statusOf(far) }).toEqual({
          expiresUnixMs,
          status: 'INVALID_ARGUMENT',
        });
        expect(far.details?.violations.map((v) => v.field)).toEqual(['expiresUnixMs']);
      }
      const within = String(Math.round(Date.now() + 9 * YEAR_MS));
      const { res, err } = await r.call<CreateTokenResponse__Output>(
        'AuthService',
        'CreateToken',
        { principal: 'auditor', expiresUnixMs: within },
        r.adminToken,
      );
      expect(err).toBeUndefined();
      expect(res?.token?.expiresUnixMs).toBe(within);
    });

    it('creates a principal asked for many times at once exactly once', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          r.call(
            'AuthService',
            'CreatePrincipal',
            { name: 'racer', role: 'ROLE_READ_ONLY' },
            r.adminToken,
          ),
        ),
      );
      const statuses = results.map(statusOf).sort();
      expect(statuses).toEqual([...Array<string>(7).fill('ALREADY_EXISTS'), 'OK']);
      const refused = results.find((x) => statusOf(x) === 'ALREADY_EXISTS');
      expect(refused?.details?.violations.map((v) => v.field)).toEqual(['name']);
      expect(await allAudit({ filter: { target: 'principal racer' } })).toHaveLength(1);
    });
  });

  describe('grants of a deleted vsvr', () => {
    async function whoAmI(token: string) {
      const { res, err } = await r.call<WhoAmIResponse__Output>('AuthService', 'WhoAmI', {}, token);
      expect(err).toBeUndefined();
      return res?.principal;
    }

    async function addAddress(vsvr: string, token: string) {
      return r.call(
        'VsvrService',
        'AddAddress',
        { vsvr, alias: 'data0', address: '198.51.100.31/24', nextFree: true },
        token,
      );
    }

    it('go with it: a vsvr re-created under the same name gives its old principals nothing', async () => {
      const created = await r.call('VsvrService', 'CreateVsvr', { name: 'temp' }, r.adminToken);
      expect(statusOf(created)).toBe('OK');
      const token = await r.principal('temp_ops', 'vsvr-network', ['temp', 'eng']);
      const deleted = await r.call('VsvrService', 'DeleteVsvr', { name: 'temp' }, r.adminToken);
      expect(statusOf(deleted)).toBe('OK');
      expect(await whoAmI(token)).toMatchObject({ role: 'ROLE_VSVR_NETWORK', vsvrs: ['eng'] });
      // The same name in another case is the same vsvr to access checks.
      const again = await r.call('VsvrService', 'CreateVsvr', { name: 'TEMP' }, r.adminToken);
      expect(statusOf(again)).toBe('OK');
      expect(statusOf(await addAddress('TEMP', token))).toBe('PERMISSION_DENIED');
      const [entry] = await allAudit({ filter: { target: 'principal temp_ops' } });
      expect(entry).toMatchObject({
        principal: 'admin',
        rpc: '/vsnet.v1.VsvrService/DeleteVsvr',
        before: 'vsvr-network on eng, temp',
        after: 'vsvr-network on eng',
      });
    });

    it('go when an Apply drops the vsvr; a principal left with none can only read', async () => {
      expect(
        statusOf(await r.call('VsvrService', 'CreateVsvr', { name: 'spare' }, r.adminToken)),
      ).toBe('OK');
      const token = await r.principal('spare_ops', 'vsvr-network', ['spare']);
      expect(statusOf(await addAddress('spare', token))).not.toBe('PERMISSION_DENIED');
      await applyAsAdmin(r, labCluster());
      expect(await whoAmI(token)).toMatchObject({ role: 'ROLE_READ_ONLY', vsvrs: [] });
      expect(
        statusOf(await r.call('VsvrService', 'CreateVsvr', { name: 'spare' }, r.adminToken)),
      ).toBe('OK');
      expect(statusOf(await addAddress('spare', token))).toBe('PERMISSION_DENIED');
      const [entry] = await allAudit({ filter: { target: 'principal spare_ops' } });
      expect(entry).toMatchObject({
        rpc: '/vsnet.v1.ConfigService/Apply',
        before: 'vsvr-network on spare',
        after: 'read-only',
      });
    });
  });
});
