import { describe, expect, it } from 'vitest';
import { consolePath, loginPath, withParams } from '../../../../http/console/paths.ts';
import { isSameOrigin } from '../../../../http/console/same-origin.ts';
import { csrfFor, csrfMatches } from '../../../../http/console/session.ts';

describe('consolePath: where a login or a form may send the browser back', () => {
  it('keeps paths inside the console', () => {
    const paths = ['/console', '/console/hosts/abc?kind=package&q=ssl', '/console/search?q=a%20b'];
    for (const ok of paths) {
      expect(consolePath(ok)).toBe(ok);
    }
  });

  it('refuses anything that could leave the site or split a header', () => {
    for (const bad of [
      'https://evil.example/console',
      '//evil.example/console',
      '/consolex',
      '/console\\@evil.example',
      '/\\evil.example',
      '/console/a\r\nSet-Cookie: x=1',
      '/console/a b',
      'javascript:alert(1)',
      '/v1/hosts',
      42,
      undefined,
    ]) {
      expect(consolePath(bad), String(bad)).toBe('/console');
    }
    expect(consolePath(`/console/${'a'.repeat(3000)}`)).toBe('/console');
  });

  it('builds the login link with where to come back to', () => {
    expect(loginPath('/console/summary')).toBe('/console/login?next=%2Fconsole%2Fsummary');
    expect(loginPath('/console')).toBe('/console/login');
    expect(loginPath('https://evil.example/')).toBe('/console/login');
  });

  it('sets and removes query parameters', () => {
    expect(withParams('/console?state=idle&notice=x', { notice: undefined, after: 'c1' })).toBe(
      '/console?state=idle&after=c1',
    );
    expect(withParams('/console/search', { q: 'a&b=c' })).toBe('/console/search?q=a%26b%3Dc');
  });
});

describe('isSameOrigin', () => {
  const hosts = ['hostintel.example:8080', undefined];

  it('accepts a post from a page of this site', () => {
    expect(isSameOrigin({ origin: 'https://hostintel.example:8080', hosts })).toBe(true);
    expect(isSameOrigin({ origin: 'null', secFetchSite: 'same-origin', hosts })).toBe(true);
    expect(isSameOrigin({ secFetchSite: 'same-origin', hosts })).toBe(true);
    expect(
      isSameOrigin({
        origin: 'https://hostintel.example',
        hosts: ['10.0.0.5:8080', 'hostintel.example'],
      }),
    ).toBe(true);
  });

  it('refuses another site, and a post that says nothing about where it came from', () => {
    expect(isSameOrigin({ origin: 'https://evil.example', hosts })).toBe(false);
    expect(
      isSameOrigin({ origin: 'https://hostintel.example:8080', secFetchSite: 'cross-site', hosts }),
    ).toBe(false);
    expect(isSameOrigin({ secFetchSite: 'same-site', hosts })).toBe(false);
    expect(isSameOrigin({ origin: 'null', hosts })).toBe(false);
    expect(isSameOrigin({ hosts })).toBe(false);
    expect(isSameOrigin({ origin: 'not a url', hosts })).toBe(false);
  });
});

describe('CSRF token', () => {
  it('is derived from the session token, stable, and reveals nothing of it', () => {
    const token = 'hi_abcdefghijklmnopqrstuvwxyz0123456789';
    const csrf = csrfFor(token);
    expect(csrf).toBe(csrfFor(token));
    expect(csrf).not.toContain(token);
    expect(csrf).not.toBe(csrfFor(`${token}x`));
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches only the same value', () => {
    const csrf = csrfFor('hi_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(csrfMatches(csrf, csrf)).toBe(true);
    expect(csrfMatches(csrf, `${csrf}x`)).toBe(false);
    expect(csrfMatches(csrf, csrf.slice(1))).toBe(false);
    expect(csrfMatches(csrf, undefined)).toBe(false);
    expect(csrfMatches(csrf, '')).toBe(false);
  });
});
