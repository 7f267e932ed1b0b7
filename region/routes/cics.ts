// POST /cics/{TRANID}: a COMMAREA in, a task run, the COMMAREA (or a RESP) out.
import type { FastifyInstance } from 'fastify';
import { parseCcsid, SUPPORTED_CCSIDS } from '../codepages.js';
import { TRANID } from '../definitions.js';
import {
  CcsidUnknown,
  CommareaTooLong,
  errorOfResult,
  JobnameInvalid,
  TranidInvalid,
  TransactionDisabled,
  TransactionUnknown,
} from '../errors.js';
import { MAX_COMMAREA } from '../task.js';

/** Until security (users) comes, every task runs for CICS's default user. */
export const DEFAULT_USER = 'CICSUSER';

const JOBNAME = /^[\x21-\x7e]{1,8}$/;

export async function cicsRoutes(app: FastifyInstance): Promise<void> {
  const { definitions, dispatcher, config } = app.region;

  // Only the bytes form for now; JSON and channels are parsed per the contract later.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post<{ Params: { tranid: string } }>('/cics/:tranid', async (request, reply) => {
    const tranid = request.params.tranid.toUpperCase();
    if (!TRANID.test(tranid)) throw new TranidInvalid(request.params.tranid.slice(0, 40));
    void reply.header('X-CICS-Tranid', tranid);
    const definition = definitions.get(tranid);
    if (!definition) throw new TransactionUnknown(tranid);
    if (!definition.enabled) throw new TransactionDisabled(tranid);

    const commarea = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (commarea.length > MAX_COMMAREA) throw new CommareaTooLong(commarea.length);

    const ccsidHeader = request.headers['x-cics-ccsid'];
    let ccsid = config.ccsid;
    if (ccsidHeader !== undefined) {
      const text = String(ccsidHeader);
      const parsed = parseCcsid(text);
      if (parsed === undefined) throw new CcsidUnknown(text.slice(0, 20), SUPPORTED_CCSIDS.join(', '));
      ccsid = parsed;
    }
    const jobHeader = request.headers['x-cics-jobname'];
    const jobname = jobHeader === undefined ? '' : String(jobHeader).toUpperCase();
    if (jobHeader !== undefined && !JOBNAME.test(jobname)) throw new JobnameInvalid(jobname.slice(0, 20));

    const { eib, result } = await dispatcher.run({ definition, commarea, ccsid, userid: DEFAULT_USER, jobname });
    void reply.header('X-CICS-Taskn', String(eib.eibtaskn));
    if (result.kind !== 'normal') throw errorOfResult(result);
    void reply.header('X-CICS-Resp', 'NORMAL');
    if (result.journalSeqs.length > 0) void reply.header('X-Journal-Seq', result.journalSeqs.join(','));
    const out = result.commarea;
    return reply.type('application/octet-stream').send(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  });
}
