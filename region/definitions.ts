// The transaction definition table (CICS's PCT): which tranids exist, the program each
// runs, and whether it is enabled.
import { moduleUrl } from '../cics/paths.js';
import { TRANID } from '../cics/names.js';
import type { ProgramCopy } from '../cics/program-copy.js';
import type { CopybookRef } from '../cics/copybook/library.js';

export interface TransactionDefinition {
  readonly tranid: string;
  /** URL of the program module the worker runs. */
  readonly program: string;
  /** The program's name, as CEMT shows it (MAIL; a template program's tranid; a module's name). */
  readonly programName?: string;
  /** A shop's program: its templates or module as of its last NEWCOPY (region/programs.ts). */
  readonly copy?: ProgramCopy;
  readonly enabled: boolean;
  /** The COMMAREA's copybook (MAILCA; a shop's as the region read it): the JSON view and its schema. */
  readonly copybook?: CopybookRef;
  /** Text items whose unmappable characters may become SUB (safe in a body, never in an address). */
  readonly substitutable?: readonly string[];
  /** A task running longer ends with AICA. */
  readonly timeLimitMs: number;
  /** Its transaction class (TRANCLASS): limits on its tasks running and waiting. */
  readonly tranclass?: string;
  readonly description: string;
}

/** The programs whose request may hold its own key (tasks/keys-in-body.ts): MC-KEY, a KEY statement, a header line. */
export const mailProgram = () => moduleUrl(import.meta.url, '../transactions/mail/program');
export const sendProgram = () => moduleUrl(import.meta.url, '../transactions/send/program');
export const spoolProgram = () => moduleUrl(import.meta.url, '../transactions/spool/program');

export function defaultDefinitions(): TransactionDefinition[] {
  return [
    {
      tranid: 'MAIL',
      programName: 'MAIL',
      program: mailProgram(),
      enabled: true,
      copybook: 'MAILCA',
      substitutable: ['MC-BODY'],
      timeLimitMs: 120_000,
      description: 'compose and send one mail (copybooks/MAILCA.cpy)',
    },
    {
      tranid: 'MINQ',
      programName: 'MINQ',
      program: moduleUrl(import.meta.url, '../transactions/inquiry/program'),
      enabled: true,
      copybook: 'MINQCA',
      timeLimitMs: 10_000,
      description: 'what became of a mail, recipient by recipient (copybooks/MINQCA.cpy)',
    },
    {
      tranid: 'SEND',
      programName: 'SEND',
      program: sendProgram(),
      enabled: true,
      timeLimitMs: 120_000,
      description: 'control statements, one or more mails (EBCDIC text, or container INPUT)',
    },
    {
      tranid: 'SPOL',
      programName: 'SPOL',
      program: spoolProgram(),
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

  /**
   * A new copy of a shop's program for every transaction that runs it (CEMT SET PROGRAM
   * NEWCOPY): tasks that start from now on carry it; tasks already started keep theirs.
   */
  newCopy(copy: ProgramCopy): void {
    for (const [tranid, d] of this.#byTranid)
      if (d.copy?.name === copy.name) this.#byTranid.set(tranid, { ...d, copy });
  }

  all(): TransactionDefinition[] {
    return [...this.#byTranid.values()];
  }
}
