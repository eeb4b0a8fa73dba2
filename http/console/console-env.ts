// What every console handler shares: the app's request variables plus the login session,
// and the dependencies the console is built from.
import type { ApiDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import type { AssetPaths } from './assets.ts';
import type { Session } from './session.ts';

export interface ConsoleEnv {
  Variables: AppEnv['Variables'] & {
    /** Set by requireSession on every page behind the login. */
    session: Session;
  };
}

export interface ConsoleDeps extends ApiDeps {
  assets: AssetPaths;
}
