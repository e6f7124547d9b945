/**
 * The configuration module's public surface: load a file, accept one app from the admin API,
 * compare apps for live reload, and the value parsers other settings may reuse.
 */
export { listenWhere, loadConfig, parseConfig, whereInConfig } from './load.js';
export { parseAppInput, appJsonSchema } from './app-input.js';
export { sameAppConfig } from './same-app.js';
export { APP_NAME, appSection, topSection, TOKEN_ROLES, type AppConfig, type Config, type TokenRole } from './settings.js';
export { formatListen, listensOverlap, parseListen, type ListenAddress } from './listen.js';
export { parseDuration, parseSize } from './values.js';
export { appModules, resolveModule, type ModuleRef } from './modules.js';
export { ADMIN_DEFAULTS } from './admin-defaults.js';
export { parsedDefault } from './declare.js';
export { currentRunner, type Runner } from './users.js';
export { workerIds } from './privileges.js';
