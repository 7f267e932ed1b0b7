// The transaction definitions (CICS's PCT) as the region starts with them: the defaults or
// the caller's, the region file's own transactions, and its changes. Checked before anything
// is opened.
import fp from 'fastify-plugin';
import { ConfigError } from '../../config/errors.js';
import type { RegionConfig } from '../../config/settings.js';
import { DefinitionTable, defaultDefinitions, type TransactionDefinition } from '../definitions.js';
import { shopDefinitions } from '../programs.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly definitions: DefinitionTable;
  }
}

export interface DefinitionsOptions {
  readonly config: RegionConfig;
  /** The transaction definitions; the defaults (MAIL, SEND, SPOL) where not given. */
  readonly definitions?: readonly TransactionDefinition[] | undefined;
}

export default fp<DefinitionsOptions>(
  async (app, { config, definitions }) => {
    // The shop's own beside them: a template that cannot be used stops the start here.
    const table = new DefinitionTable([...(definitions ?? defaultDefinitions()), ...shopDefinitions(config.defined)]);
    for (const [tranid, change] of Object.entries(config.transactions)) {
      const { class: tranclass, ...rest } = change;
      if (!table.update(tranid, { ...rest, ...(tranclass !== undefined ? { tranclass } : {}) })) {
        throw new ConfigError(
          `${config.configFile}: transactions.${tranid}`,
          `transaction ${tranid} is not defined in this region`,
        );
      }
    }
    const longest = Math.max(...table.all().map((d) => d.timeLimitMs));
    if (config.retry.orphanMs <= longest + 5000) {
      throw new ConfigError(
        'CICSMAIL_RETRY_ORPHAN_MS',
        `${config.retry.orphanMs} ms must be longer than the longest time limit of a transaction (${longest} ms) and 5 s`,
      );
    }
    app.decorate('definitions', table);
  },
  { name: 'definitions' },
);
