// Builds a running engine context from settings: storage, connectors and the logger. Which
// connector serves which `systems.*.type` is the registry's to say (src/connectors/registry.ts).
import type { Config } from '../config/schema.js';
import { inventorySystemOf, storeSystemOf } from '../connectors/registry.js';
import type { SharedSettings } from '../connectors/types.js';
import { createLogger, type Logger } from '../log.js';
import { openSqlite } from '../store/sqlite/open.js';
import { openPostgres } from '../store/postgres/open.js';
import type { Storage } from '../store/storage.js';
import type { EngineContext } from './context.js';

export async function openStorage(config: Config): Promise<Storage> {
  return config.database.driver === 'sqlite' ? openSqlite(config.database.path) : openPostgres(config.database.url);
}

export async function openContext(config: Config, log: Logger = createLogger()): Promise<EngineContext> {
  const { inventory, store } = config.systems;
  const shared: SharedSettings = { locations: config.inventory.locations, copyAddresses: config.rules.copyAddresses };
  // built before storage is opened: a connection block a connector refuses leaves nothing open
  const connectors = {
    inventory: inventorySystemOf(inventory.type).create(inventory, shared),
    store: storeSystemOf(store.type).create(store, shared),
  };
  const storage = await openStorage(config);
  return { config, storage, log, ...connectors };
}
