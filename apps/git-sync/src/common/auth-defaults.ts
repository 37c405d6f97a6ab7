/**
 * The failure limits used when an option is not given. `AuthFailureLimiter`
 * applies them and the server's configuration defaults to them, so both read
 * the one copy here.
 */
export const AUTH_FAILURE_DEFAULTS = {
  maxFailures: 10,
  maxAddressFailures: 100,
  windowSeconds: 60,
  keyPrefix: 'git-sync:auth-failures',
} as const;

/** Letters, digits, `.`, `_`, `-`: never a `:`, which would split an HTTP Basic credential. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
