// A real source of DSNs: a private Postfix (test/postfix.ts) as the smart host, delivering
// the addresses given to maildirs and bouncing every other address of its domain as an
// unknown user (5.1.1), whose own RFC 3464 reports (success where NOTIFY asks, failure,
// delay) go to the bounce domain's listener through a transport map entry: nothing leaves
// the machine.
import { startPostfix, type Postfix, type TestLike } from './postfix.js';

export interface BouncingPostfixOptions {
  /** Addresses with a mailbox (default known@example.test); their domains are Postfix's. */
  readonly known?: readonly string[];
  /** The domain of the return paths (the bounce address's). */
  readonly bounceDomain: string;
  /** Where Postfix sends what comes back: the bounce listener. */
  readonly listener: { readonly host: string; readonly port: number };
}

export function startBouncingPostfix(t: TestLike, options: BouncingPostfixOptions): Promise<Postfix> {
  const known = options.known ?? ['known@example.test'];
  const domains = [...new Set(known.map((a) => a.slice(a.lastIndexOf('@') + 1).toLowerCase()))];
  const { host, port } = options.listener;
  return startPostfix(t, {
    domains,
    mailboxes: known,
    // [host]: no MX lookup, the listener as it is.
    transports: { [options.bounceDomain]: `smtp:[${host}]:${port}` },
  });
}
