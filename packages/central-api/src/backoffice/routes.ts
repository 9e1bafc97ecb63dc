import type { AppContext } from '../app-context.js';
import type { Route } from '../http/route.js';
import { BackofficeStore } from './backoffice-store.js';
import { cadastroRoutes } from './cadastro-routes.js';
import { stockRoutes } from './stock-routes.js';

/** The back office's writes (compras, baixas, cadastros), behind back-office credentials. */
export function backofficeRoutes(context: AppContext): Route[] {
  const store = new BackofficeStore(context.db.dialect);
  return [...stockRoutes(context, store), ...cadastroRoutes(context, store, context.config.BACKOFFICE_TABLES_FILE)];
}
