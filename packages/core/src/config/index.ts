export { parseEnv, type Env } from './parse-env.js';
export { envBool, envEnum, envInt, envString, envUrl } from './env-types.js';
export { loadConfig, loadConfigOrExit, exitOnConfigError, CONFIG_EXIT_CODE, type LoadConfigOptions } from './load-config.js';
export { databaseEnv, logEnv, healthEnv, processEnv, pdvIdentityEnv, SECRET_VARIABLES } from './common-env.js';
export { databaseSettingsFromEnv, type DatabaseEnv } from './database-settings.js';
