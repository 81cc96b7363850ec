// Starts the test/demo Vendure server (no worker: see vendure-config.ts).
import { bootstrap } from '@vendure/core';
import { config } from './vendure-config';

process.env.VENDURE_DISABLE_TELEMETRY ??= 'true';
const started = Date.now();
bootstrap(config)
  .then(() => console.log(`vendure ready on 127.0.0.1:${config.apiOptions.port} in ${Date.now() - started} ms`))
  .catch((err) => { console.error(err); process.exit(1); });
