// The transaction definition table (CICS's PCT): which tranids exist, the program each
// runs, and whether it is enabled.
import { moduleUrl } from '../cics/paths.js';
import { TRANID } from '../cics/names.js';

export interface TransactionDefinition {
  readonly tranid: string;
  /** URL of the program module the worker runs. */
  readonly program: string;
  readonly enabled: boolean;
  /** The COMMAREA's copybook (copybooks/NAME.cpy): the JSON view and its schema. */
  readonly copybook?: string;
  /** Text items whose unmappable characters may become SUB (safe in a body, never in an address). */
  readonly substitutable?: readonly string[];
  /** A task running longer ends with AICA. */
  readonly timeLimitMs: number;
  /** Its transaction class (TRANCLASS): limits on its tasks running and waiting. */
  readonly tranclass?: string;
  readonly description: string;
}

export function defaultDefinitions(): TransactionDefinition[] {
  return [
    {
      tranid: 'MAIL',
      program: moduleUrl(import.meta.url, '../transactions/mail/program'),
      enabled: true,
      copybook: 'MAILCA',
      substitutable: ['MC-BODY'],
      timeLimitMs: 120_000,
      description: 'compose and send one mail (copybooks/MAILCA.cpy)',
    },
    {
      tranid: 'MINQ',
      program: moduleUrl(import.meta.url, '../transactions/inquiry/program'),
      enabled: true,
      copybook: 'MINQCA',
      timeLimitMs: 10_000,
      description: 'what became of a mail, recipient by recipient (copybooks/MINQCA.cpy)',
    },
    {
      tranid: 'SEND',
      program: moduleUrl(import.meta.url, '../transactions/send/program'),
      enabled: true,
      timeLimitMs: 120_000,
      description: 'control statements, one or more mails (EBCDIC text, or container INPUT)',
    },
    {
      tranid: 'SPOL',
      program: moduleUrl(import.meta.url, '../transactions/spool/program'),
      enabled: true,
      timeLimitMs: 120_000,
      description: 'an SMTP datastream relayed whole (EBCDIC text, or container INPUT)',
    },
  ];
}

export class DefinitionTable {
  readonly #byTranid = new Map<string, TransactionDefinition>();

  constructor(definitions: readonly TransactionDefinition[]) {
    for (const d of definitions) {
      if (!TRANID.test(d.tranid))
        throw new Error(`transaction definition '${d.tranid}': not 1 to 4 characters of A-Z 0-9 @ # $`);
      if (this.#byTranid.has(d.tranid)) throw new Error(`transaction ${d.tranid} is defined twice`);
      this.#byTranid.set(d.tranid, d);
    }
  }

  get(tranid: string): TransactionDefinition | undefined {
    return this.#byTranid.get(tranid);
  }

  /** Changes a definition while the region runs (CEMT SET TRANSACTION); tasks already started keep the old one. */
  update(
    tranid: string,
    change: Partial<Pick<TransactionDefinition, 'enabled' | 'timeLimitMs' | 'tranclass'>>,
  ): TransactionDefinition | undefined {
    const old = this.#byTranid.get(tranid);
    if (!old) return undefined;
    const updated: TransactionDefinition = { ...old, ...change };
    this.#byTranid.set(tranid, updated);
    return updated;
  }

  all(): TransactionDefinition[] {
    return [...this.#byTranid.values()];
  }
}
