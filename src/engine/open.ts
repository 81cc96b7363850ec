// Builds a running engine context from settings: storage, connectors and the logger. The only
// place that knows which connector class serves which `systems.*.type`.
import type { Config } from '../config/schema.js';
import { TrytonConnector } from '../connectors/tryton/index.js';
import { VendureConnector } from '../connectors/vendure/index.js';
import { DovetailError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { openSqlite } from '../store/sqlite/open.js';
import type { Storage } from '../store/storage.js';
import type { EngineContext } from './context.js';

export async function openStorage(config: Config): Promise<Storage> {
  if (config.database.driver === 'sqlite') return openSqlite(config.database.path);
  throw new DovetailError('config', 'database.driver postgres is not carried out by this version yet: use sqlite');
}

export async function openContext(config: Config, log: Logger = createLogger()): Promise<EngineContext> {
  const { inventory, store } = config.systems;
  if (inventory.type !== 'tryton') throw new DovetailError('config', `systems.inventory.type ${inventory.type} is not carried out by this version yet (tryton is)`);
  if (store.type !== 'vendure') throw new DovetailError('config', `systems.store.type ${store.type} is not carried out by this version yet (vendure is)`);
  const storage = await openStorage(config);
  return {
    config, storage, log,
    inventory: new TrytonConnector({ url: inventory.url, database: inventory.database, username: inventory.username, password: inventory.password,
      locations: config.inventory.locations.length ? config.inventory.locations : inventory.warehouse ? [inventory.warehouse] : [] }),
    store: new VendureConnector({ url: store.url, username: store.username, password: store.password, channelToken: store.channelToken, webhookSecret: store.webhookSecret }),
  };
}
