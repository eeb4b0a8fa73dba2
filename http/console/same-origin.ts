// Cross-site request forgery, first line: a form post must come from a page of this site.
// Browsers say so in Sec-Fetch-Site and Origin, which a page on another site cannot forge.
// The session cookie is SameSite=Strict and session forms also carry a CSRF token
// (session.ts); this check is what protects the login form, which has no session yet.

export interface OriginHeaders {
  origin?: string | undefined;
  secFetchSite?: string | undefined;
  /** Host, and X-Forwarded-Host when a proxy rewrote Host. */
  hosts: readonly (string | undefined)[];
}

export function isSameOrigin({ origin, secFetchSite, hosts }: OriginHeaders): boolean {
  if (secFetchSite !== undefined && secFetchSite !== 'same-origin') return false;
  // "null": a no-referrer policy or a sandboxed page; then only Sec-Fetch-Site can tell.
  if (origin !== undefined && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    return hosts.some((h) => h !== undefined && h.toLowerCase() === host.toLowerCase());
  }
  return secFetchSite === 'same-origin';
}
