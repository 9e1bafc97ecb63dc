import { envString, envUrl, pdvIdentityEnv } from '@goldpdv/core';

/** push-service's own variables; the shared ones (DB_*, LOG_*, HEALTH_*...) come from @goldpdv/core. */
export const pushEnv = {
  ...pdvIdentityEnv,
  /** Base URL of the central API, e.g. https://vps.example.com.br */
  CENTRAL_API_URL: envUrl(['http', 'https']),
  /** This PDV's bearer token, as issued centrally. */
  CENTRAL_API_TOKEN: envString('the bearer token issued to this PDV'),
};

export const PUSH_SECRET_VARIABLES = ['CENTRAL_API_TOKEN'] as const;
