import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requireRole } from '../../../http/auth.ts';
import type { AppEnv, Principal } from '../../../http/env.ts';
import { type Role, roleAllows, roles } from '../../../sql/tokens.ts';

describe('roles', () => {
  it('are ordered viewer < operator < admin', () => {
    expect(roles).toEqual(['viewer', 'operator', 'admin']);
    const allowed = (role: Role) => roles.filter((required) => roleAllows(role, required));
    expect(allowed('viewer')).toEqual(['viewer']);
    expect(allowed('operator')).toEqual(['viewer', 'operator']);
    expect(allowed('admin')).toEqual(['viewer', 'operator', 'admin']);
  });

  it('requireRole answers 401 without a principal and 403 below the role', async () => {
    const app = (principal: Principal | undefined) => {
      const a = new Hono<AppEnv>();
      a.use('*', async (c, next) => {
        c.set('principal', principal);
        await next();
      });
      a.get('/op', requireRole('operator'), (c) => c.text('ok'));
      return a;
    };
    const as = (role: Role) => ({ tokenId: 't', name: 'n', role });
    expect((await app(undefined).request('/op')).status).toBe(401);
    const forbidden = await app(as('viewer')).request('/op');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { detail: string }).detail).toBe(
      'this needs the operator role',
    );
    expect((await app(as('operator')).request('/op')).status).toBe(200);
    expect((await app(as('admin')).request('/op')).status).toBe(200);
  });
});
