// Settings whose two systems cannot be reached (port 9 on loopback refuses every connection), for
// tests of Dovetail's own faults: the real connectors then fail exactly as in an outage.

/** The secrets those settings read from the environment. */
export const UNREACHABLE_ENV = { TRYTON_PASSWORD: 'pw', VENDURE_PASSWORD: 'pw', DOVETAIL_WEBHOOK_SECRET: 'whsec-0123456789abcdef' };

/** A dovetail.yaml with both systems unreachable, then `rest` (other sections, YAML). */
export const unreachableSettings = (rest: string) => `systems:
  inventory:
    url: http://127.0.0.1:9
    password: \${TRYTON_PASSWORD}
  store:
    url: http://127.0.0.1:9
    password: \${VENDURE_PASSWORD}
    webhookSecret: \${DOVETAIL_WEBHOOK_SECRET}
${rest}`;
