      *================================================================*
      * MINQCA  - COMMAREA of transaction MINQ: what became of a mail, *
      *           recipient by recipient.                              *
      *                                                                *
      * Input: MQ-VERSION '01' and one of MQ-JOURNAL-SEQ (not zero),   *
      * MQ-MESSAGE-ID, MQ-REQUEST-KEY: the first given, in that order. *
      * Only the user that sent the mail may ask about it.             *
      * Output fields (MQ-RC .. MQ-RCPT) are set by the region. The    *
      * answer holds MQ-RCPT-COUNT entries (at most 50; MQ-RCPT-TOTAL  *
      * says how many recipients the mail has). MQ-FATE is RELAYED,    *
      * DELIVERED, DELAYED, BOUNCED, EXPIRED; PENDING (the relay has   *
      * not taken it yet) or REFUSED (the relay refused it for good).  *
      *================================================================*
       01  MINQCA.
           05  MQ-VERSION              PIC X(2).
               88  MQ-VERSION-1            VALUE '01'.
           05  MQ-JOURNAL-SEQ          PIC S9(15) COMP-3.
           05  MQ-MESSAGE-ID           PIC X(256).
           05  MQ-REQUEST-KEY          PIC X(64).
           05  MQ-RC                   PIC S9(4) COMP.
           05  MQ-REASON               PIC X(8).
           05  MQ-STATE                PIC X(8).
           05  MQ-FOUND-SEQ            PIC S9(15) COMP-3.
           05  MQ-FOUND-MESSAGE-ID     PIC X(256).
           05  MQ-RELAY-REPLY          PIC X(256).
           05  MQ-RCPT-TOTAL           PIC S9(8) COMP.
           05  MQ-RCPT-COUNT           PIC S9(4) COMP.
           05  MQ-RCPT                 OCCURS 0 TO 50 TIMES
                                       DEPENDING ON MQ-RCPT-COUNT.
               10  MQ-ADDRESS          PIC X(254).
               10  MQ-FATE             PIC X(9).
               10  MQ-STATUS           PIC X(9).
               10  MQ-DIAGNOSTIC       PIC X(200).
               10  MQ-FATE-TIME        PIC X(24).
