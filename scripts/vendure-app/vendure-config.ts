// The Vendure store used by Dovetail's tests and demo: loopback only, one SQLite file per instance,
// the dummy payment handler and Dovetail's plugin (which adds variant dimensions as custom fields).
import path from 'path';
import { DefaultLogger, DefaultSearchPlugin, LogLevel, VendureConfig, dummyPaymentHandler } from '@vendure/core';
import { DovetailPlugin } from '../../src/connectors/vendure/plugin/dovetail-plugin';
import { DovetailOfflineOrdersPlugin } from '../../src/connectors/vendure/plugin/offline-orders';
import express from 'express';
import { LocalAssetStorage, SameFilePreview } from './local-assets';

const port = Number(process.env.VENDURE_PORT ?? 3000);
// product images beside the instance's database file, one folder per instance
const assetDir = `${process.env.VENDURE_DB ?? path.join(process.cwd(), '.run', 'vendure', 'vendure.sqlite')}.assets`;
export const config: VendureConfig = {
  apiOptions: {
    hostname: '127.0.0.1',
    port,
    adminApiPath: 'admin-api',
    shopApiPath: 'shop-api',
    adminApiPlayground: false,
    shopApiPlayground: false,
    middleware: [{ route: 'assets', handler: express.static(assetDir) }],
  },
  assetOptions: {
    assetStorageStrategy: new LocalAssetStorage(assetDir, `http://127.0.0.1:${port}`),
    assetPreviewStrategy: new SameFilePreview(),
  },
  authOptions: {
    // Token in the `vendure-auth-token` answer header (Bearer), cookies, or `vendure-api-key`.
    tokenMethod: ['bearer', 'cookie', 'api-key'],
    superadminCredentials: { identifier: 'superadmin', password: 'superadmin' },
    cookieOptions: { secret: process.env.COOKIE_SECRET ?? 'dovetail-test-cookie-secret' },
    requireVerification: false,
  },
  dbConnectionOptions: {
    type: 'better-sqlite3',
    database: process.env.VENDURE_DB ?? path.join(process.cwd(), '.run', 'vendure', 'vendure.sqlite'),
    synchronize: true, // the schema (plugin outbox table included) is made at start; a test store needs no migrations
    logging: false,
  },
  paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
  logger: new DefaultLogger({ level: process.env.VENDURE_LOG === 'debug' ? LogLevel.Debug : LogLevel.Warn }),
  // No job-queue plugin and no worker: an in-process worker makes the server's event bus drop
  // events, and a second process on the same SQLite file fails with "database is locked".
  // Without one, jobs (search index) go to the in-memory queue and are never run; nothing here needs them.
  plugins: [
    DefaultSearchPlugin.init({ bufferUpdates: false, indexStockStatus: true }),
    DovetailPlugin.init({}),
    DovetailOfflineOrdersPlugin,
  ],
};
