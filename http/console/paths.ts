// Console URLs built from request input: where to go back to after a login or a form (only
// paths inside the console, so no redirect can leave the site), and query strings.

// A path under /console with an optional query: no scheme, no host, no backslash, no space.
const CONSOLE_PATH = /^\/console(?:\/[^\s\\?#]*)?(?:\?[^\s\\#]*)?$/;

/** `value` when it is a console path, else `fallback`. */
export function consolePath(value: unknown, fallback = '/console'): string {
  return typeof value === 'string' && value.length <= 2048 && CONSOLE_PATH.test(value)
    ? value
    : fallback;
}

export function loginPath(back?: string): string {
  const next = consolePath(back, '');
  return next && next !== '/console' && next !== '/console/'
    ? `/console/login?${new URLSearchParams({ next })}`
    : '/console/login';
}

/** `path` with `params` set (replacing any of the same name); empty values are left out. */
export function withParams(path: string, params: Record<string, string | undefined>): string {
  const url = new URL(path, 'http://console.invalid');
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return `${url.pathname}${url.search}`;
}

export function hostPath(hostId: string, tab = ''): string {
  return `/console/hosts/${encodeURIComponent(hostId)}${tab ? `/${tab}` : ''}`;
}
