// Steady load for the fault scenarios: the load command's engine (runLoad, autocannon) at a
// fixed arrival rate with a few connections, each request a different MAIL; and a probe, one
// MAIL whose returned COMMAREA is read (autocannon keeps only the answer's headers: RC and
// journal sequence number, not MC-REASON or MC-RELAY-REPLY).
import { buildPayloads } from '../../cli/load/payloads.js';
import { preflight, runLoad, type RunResult } from '../../cli/load/run.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { basicAuth, TESTER } from '../helpers/users.js';
import type { Answered } from './reconcile.js';

const AUTHORIZATION = basicAuth(TESTER.id, TESTER.password);

export interface LoadOptions {
  readonly requests: number;
  /** Seed of the payloads: each phase of a scenario sends other mails. */
  readonly seed: number;
  /** Requests a second (default 200). */
  readonly rate?: number;
  /** Requests in flight at most (default 8: as many as a worker's SMTP connections). */
  readonly connections?: number;
  /** Called every 20 ms with the answers so far (to inject a fault mid-run). */
  readonly onTick?: (answered: number) => void;
}

export async function steadyLoad(url: string, options: LoadOptions): Promise<RunResult> {
  const pool = buildPayloads({
    tx: 'MAIL',
    ccsid: 37,
    from: 'batch@corp.example',
    seed: options.seed,
    count: options.requests,
    jobname: 'FAULTS',
  });
  await preflight(url, AUTHORIZATION);
  const tick = options.onTick;
  return runLoad({
    url,
    pool,
    authorization: AUTHORIZATION,
    connections: options.connections ?? 8,
    requests: options.requests,
    rate: options.rate ?? 200,
    timeoutS: 30,
    // A region that dies here stays dead (a new one starts on another port): give up on it soon.
    reconnectS: 2,
    keepMails: true,
    ...(tick ? { onTick: (recorder) => tick(recorder.answered), tickMs: 20 } : {}),
  });
}

/** One MAIL's answer, read in full. */
export interface ProbeAnswer {
  readonly status: number;
  readonly resp: string | null;
  readonly abcode: string | null;
  readonly rc: number | null;
  readonly reason: string | null;
  readonly relayReply: string | null;
  readonly seq: number | null;
  readonly messageId: string | null;
  /** The JSON body of an answer without a COMMAREA. */
  readonly failure: { resp: string; abcode: string | null; message: string } | null;
}

export async function probeMail(url: string, to = 'probe@corp.example'): Promise<ProbeAnswer> {
  const res = await fetch(`${url}/cics/MAIL`, {
    method: 'POST',
    headers: { authorization: AUTHORIZATION, 'content-type': 'application/octet-stream', 'x-cics-jobname': 'PROBE' },
    body: buildMailCommarea({ from: 'probe@corp.example', to, subject: 'fault probe', body: `probe to ${to}` }, 37),
  });
  const head = { status: res.status, resp: res.headers.get('x-cics-resp'), abcode: res.headers.get('x-cics-abcode') };
  if (res.status !== 200) {
    return {
      ...head,
      rc: null,
      reason: null,
      relayReply: null,
      seq: null,
      messageId: null,
      failure: (await res.json()) as ProbeAnswer['failure'],
    };
  }
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  return {
    ...head,
    rc: r.rc,
    reason: r.reason,
    relayReply: r.relayReply,
    seq: r.journalSeq || null,
    messageId: r.messageId,
    failure: null,
  };
}

const bump = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n;
};

/** What a scenario's callers sent and heard, over its load phases and probes. */
export class Tally {
  sent = 0;
  /** Answers by RC. */
  readonly rc: Record<string, number> = {};
  /** Answers without an RC, by abend code or RESP; 'no answer' for requests the region died under. */
  readonly other: Record<string, number> = {};
  readonly mails: Answered[] = [];

  addRun(run: RunResult): void {
    const r = run.recorder;
    // Requests answered (autocannon's own count of requests sent is an estimate).
    this.sent += r.answered;
    for (const [rc, n] of Object.entries(r.byRc)) bump(this.rc, rc, n);
    // An abend comes with RESP INVREQ (http.md): count it once, by its abend code.
    let abends = 0;
    for (const [code, n] of Object.entries(r.byAbend)) {
      bump(this.other, code, n);
      abends += n;
    }
    for (const [resp, n] of Object.entries(r.byResp)) {
      const left = resp === 'INVREQ' ? n - abends : n;
      if (resp !== 'NORMAL' && left > 0) bump(this.other, resp, left);
    }
    this.mails.push(...r.mails);
  }

  /** Requests the region took and never answered (it died under them). */
  addUnanswered(n: number): void {
    this.sent += n;
    if (n > 0) bump(this.other, 'no answer', n);
  }

  addProbe(p: ProbeAnswer): void {
    this.sent++;
    if (p.rc !== null) bump(this.rc, String(p.rc));
    else bump(this.other, p.abcode ?? p.resp ?? `HTTP ${p.status}`);
    if (p.rc !== null && p.seq !== null) this.mails.push({ rc: p.rc, seq: p.seq });
  }
}
