// Where mail goes: the smart hosts of CICSMAIL_RELAY, or, where none is set, the embedded
// capture relay on loopback, which this plugin starts and stops.
import fp from 'fastify-plugin';
import type { RegionConfig } from '../../config/settings.js';
import { parseRelayUrl, type RelayTarget } from '../../smtp/relay-url.js';
import { CaptureRelay } from '../capture-relay.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where mail goes: CICSMAIL_RELAY, or the embedded capture relay. */
    readonly relays: readonly RelayTarget[];
    /** The embedded capture relay, where the region runs one. */
    readonly captureRelay: CaptureRelay | null;
  }
}

export default fp<{ config: RegionConfig }>(
  async (app, { config }) => {
    let captureRelay: CaptureRelay | null = null;
    let relays = config.relays;
    if (relays.length === 0) {
      captureRelay = new CaptureRelay(config.dataDir);
      // On loopback and without TLS: CICSMAIL_SMTP_STARTTLS=required is for real relays.
      relays = [parseRelayUrl(`${await captureRelay.listen()}?starttls=none`)];
      const relay = captureRelay;
      app.addHook('onClose', () => relay.close());
    }
    app.decorate('relays', relays);
    app.decorate('captureRelay', captureRelay);
  },
  { name: 'relays' },
);
