// The per-request variables every middleware and handler of the app shares.
import type { Logger } from 'pino';
import type { Role } from '../sql/tokens.ts';

/** Who is calling: the bearer token that authenticated the request. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** A child of the app's logger bound to the request id. */
    logger: Logger;
    principal: Principal | undefined;
    /** The id a mutating request acted on, when it is not the `id` path parameter. */
    auditTarget: string | undefined;
  };
}
