// The console's COMMAREA helpers, which only read: a transaction's layout (its copybook's
// JSON Schema), a COMMAREA field by field, and the request a journal record's task ran with.
import type { FastifyInstance } from 'fastify';
import { codePage, parseCcsid, SUPPORTED_CCSIDS, type CodePage } from '../../cics/codepages.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { copybook, copybookName, type CopybookRef } from '../../cics/copybook/library.js';
import { jsonSchemaOf } from '../../cics/copybook/schema.js';
import { TRANID_ANY_CASE } from '../../cics/names.js';
import { MAX_COMMAREA } from '../../cics/task.js';
import type { TaskEntry } from '../../journal/task-log.js';
import type { TransactionDefinition } from '../definitions.js';
import { CcsidUnknown, NotFound, RequestInvalid, TransactionUnknown } from '../errors.js';
import { commareaFields, hexOf, lineFields } from '../views/commarea-fields.js';
import { DIGITS } from './schemas.js';

/** A tranid as a path gives it: any case (the routes take it upper case). */
const TRANID_PARAMS = { type: 'object', properties: { tranid: { type: 'string', pattern: TRANID_ANY_CASE.source } } };

interface CommareaBody {
  json?: unknown;
  text?: string;
  hex?: string;
  ccsid?: string;
}

const COMMAREA_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 2,
  properties: {
    json: { type: 'object' },
    text: { type: 'string', maxLength: MAX_COMMAREA },
    hex: { type: 'string', pattern: `^([0-9A-Fa-f]{2}){0,${MAX_COMMAREA}}$` },
    ccsid: { type: 'string', pattern: '^[0-9]{1,5}$' },
  },
};

export function commareaRoutes(api: FastifyInstance, tags: string[]): void {
  layoutRoute(api, tags);
  fieldsRoute(api, tags);
  recordTaskRoute(api, tags);
}

function layoutRoute(api: FastifyInstance, tags: string[]): void {
  const { definitions, config } = api;
  api.get<{ Params: { tranid: string } }>(
    '/console/api/transactions/:tranid/layout',
    {
      schema: {
        tags,
        summary: "a transaction's COMMAREA: its copybook's JSON Schema and the region's code page",
        params: TRANID_PARAMS,
      },
    },
    async (request) => {
      const definition = definitions.get(request.params.tranid.toUpperCase());
      if (!definition) throw new TransactionUnknown(request.params.tranid);
      // SEND and SPOL take text: no copybook, a line a statement.
      if (!definition.copybook) {
        return { tranid: definition.tranid, copybook: null, ccsid: config.ccsid, description: definition.description };
      }
      const layout = copybook(definition.copybook);
      return {
        description: definition.description,
        tranid: definition.tranid,
        copybook: copybookName(definition.copybook),
        ccsid: config.ccsid,
        minLength: layout.minLength,
        maxLength: layout.maxLength,
        schema: jsonSchemaOf(layout),
      };
    },
  );
}

// Reads only: a JSON view made into bytes, or bytes read field by field. POST for the
// body, so it goes through the cross-site check like every POST.
function fieldsRoute(api: FastifyInstance, tags: string[]): void {
  const { definitions, config } = api;
  api.post<{ Params: { tranid: string }; Body: CommareaBody }>(
    '/console/api/commarea/:tranid',
    {
      schema: {
        tags,
        summary: 'a COMMAREA field by field: from its JSON view (json) or its bytes (hex), in the code page ccsid',
        params: TRANID_PARAMS,
        body: COMMAREA_BODY,
      },
    },
    async (request) => {
      const definition = definitions.get(request.params.tranid.toUpperCase());
      if (!definition) throw new TransactionUnknown(request.params.tranid);
      const { json, text, hex, ccsid: ccsidText } = request.body;
      const given = [json, text, hex].filter((v) => v !== undefined).length;
      if (given !== 1) throw new RequestInvalid('send one of json, text or hex');
      const ccsid = ccsidText === undefined ? config.ccsid : parseCcsid(ccsidText);
      if (ccsid === undefined) throw new CcsidUnknown(String(ccsidText).slice(0, 20), SUPPORTED_CCSIDS.join(', '));
      const cp = codePage(ccsid);
      return definition.copybook
        ? recordFields(definition, definition.copybook, request.body, ccsid, cp)
        : lineFieldsOf(definition, request.body, ccsid, cp);
    },
  );
}

/** A transaction without a copybook (SEND, SPOL): its text or its bytes, a line a field. */
function lineFieldsOf(definition: TransactionDefinition, body: CommareaBody, ccsid: number, cp: CodePage) {
  if (body.json !== undefined) throw new RequestInvalid(`${definition.tranid} has no copybook: send its text`);
  const bytes =
    body.text !== undefined ? cp.encode(body.text.replace(/\r\n?/g, '\n')) : Buffer.from(body.hex as string, 'hex');
  return { ccsid, length: bytes.length, hex: hexOf(bytes), fields: lineFields(bytes, cp) };
}

/** A transaction's copybook record: its JSON view made into bytes, or its bytes, field by field. */
function recordFields(
  definition: TransactionDefinition,
  ref: CopybookRef,
  body: CommareaBody,
  ccsid: number,
  cp: CodePage,
) {
  if (body.text !== undefined)
    throw new RequestInvalid(`${definition.tranid} takes its copybook's JSON view, not text`);
  const layout = copybook(ref);
  try {
    const bytes =
      body.json !== undefined
        ? jsonToRecord(body.json, layout, cp, { substitutable: new Set(definition.substitutable ?? []) }).bytes
        : Buffer.from(body.hex as string, 'hex');
    return { ccsid, length: bytes.length, hex: hexOf(bytes), fields: commareaFields(bytes, layout, cp) };
  } catch (err) {
    // A JSON view or bytes that do not fit the copybook: the caller's to mend.
    if (err instanceof FieldError) throw new RequestInvalid(err.message);
    throw err;
  }
}

// The task whose mail a record is: its request as the task log keeps it (found by the
// journal's index of the records each task made).
function recordTaskRoute(api: FastifyInstance, tags: string[]): void {
  const { journal } = api;
  api.get<{ Params: { seq: string } }>(
    '/console/api/journal/:seq/task',
    {
      schema: {
        tags,
        summary: 'the request of the task that made journal record seq',
        params: { type: 'object', properties: { seq: DIGITS } },
      },
    },
    async (request) => {
      const seq = Number(request.params.seq);
      const entry = journal.tasks.forRecord(seq);
      if (entry === 'indexing')
        throw new NotFound(
          `no task found for journal record ${seq} yet: the task log is being indexed, try again shortly`,
        );
      if (!entry) throw new NotFound(`no task on record made journal record ${seq}`);
      return taskView(entry);
    },
  );
}

/** A task's request as the console shows it: bytes in hex, containers by their size. */
function taskView(entry: TaskEntry) {
  const { commarea, containers, ...rest } = entry;
  return {
    ...rest,
    commarea: commarea.form === 'json' ? commarea : { form: 'bytes', hex: hexOf(commarea.bytes) },
    containers: containers.map((c) => ({
      name: c.name,
      kind: c.kind,
      ccsid: c.ccsid,
      contentType: c.contentType,
      filename: c.filename,
      length: c.data === null ? (c as { length: number }).length : c.data.byteLength,
    })),
  };
}
