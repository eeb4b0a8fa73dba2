// The API's rules for what a host may be called and where it may point
// (http/hosts/hosts.schemas.ts), checked while parsing so that a bad value is reported with
// its file and line instead of as a rejected request halfway through an import.

const NAME_MAX = 253;
const ADDRESS = /^[A-Za-z0-9._:%[\]-]{1,253}$/;
const USERNAME = /^[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
export const MAX_LABELS = 64;
export const MAX_GROUPS = 64;
const LABEL_VALUE_MAX = 253;

/** null when valid, else why not. */
export function hostNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > NAME_MAX)
    return `host name must be 1-${NAME_MAX} characters`;
  if (CONTROL.test(name) || /\s/.test(name)) {
    return `host name ${JSON.stringify(name)} contains whitespace or control characters`;
  }
  return null;
}

export function addressProblem(address: string): string | null {
  return ADDRESS.test(address)
    ? null
    : `${JSON.stringify(address)} is not a host name or an IP address`;
}

export function usernameProblem(username: string): string | null {
  return USERNAME.test(username)
    ? null
    : `${JSON.stringify(username)} is not a valid user name (letters, digits, ._@-, max 64)`;
}

export function groupProblem(group: string): string | null {
  return GROUP.test(group)
    ? null
    : `group name ${JSON.stringify(group)} must be letters, digits and ._- (max 63)`;
}

export function isLabelKey(key: string): boolean {
  return LABEL_KEY.test(key);
}

export function isLabelValue(value: string): boolean {
  return value.length <= LABEL_VALUE_MAX && !CONTROL.test(value);
}
