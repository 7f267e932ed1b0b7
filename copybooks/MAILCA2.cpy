      *================================================================*
      * MAILCA2 - COMMAREA of transaction MAIL, version 02: MAILCA     *
      *           (version 01) and a request key, MC-KEY.              *
      *                                                                *
      * Every field of version 01 keeps its offset; MC-KEY comes after *
      * MC-RELAY-REPLY, so MC-BODY-LEN and MC-BODY move 64 bytes on.   *
      * MC-KEY: the request's key, 1 to 64 printable ASCII characters  *
      * (no blanks inside), padded with blanks; all blanks: no key.    *
      * A repeat of a request with the same key hears the first answer *
      * again and sends nothing (the Idempotency-Key header, in the    *
      * request itself). Version 01 COMMAREAs stay valid.              *
      * The caller may send the COMMAREA cut after the last byte of    *
      * MC-BODY in use (EIBCALEN = 4442 + MC-BODY-LEN).                *
      * Output fields (MC-RC .. MC-RELAY-REPLY) are set by the region. *
      *================================================================*
       01  MAILCA.
           05  MC-VERSION              PIC X(2).
               88  MC-VERSION-2            VALUE '02'.
           05  MC-FROM                 PIC X(256).
           05  MC-REPLY-TO             PIC X(256).
           05  MC-TO                   PIC X(1024).
           05  MC-CC                   PIC X(1024).
           05  MC-BCC                  PIC X(1024).
           05  MC-SUBJECT              PIC X(256).
           05  MC-IMPORTANCE           PIC X(1).
               88  MC-IMPORTANCE-LOW       VALUE 'L'.
               88  MC-IMPORTANCE-NORMAL    VALUE 'N' ' '.
               88  MC-IMPORTANCE-HIGH      VALUE 'H'.
           05  MC-BODY-FORMAT          PIC X(1).
               88  MC-BODY-TEXT            VALUE 'T' ' '.
               88  MC-BODY-HTML            VALUE 'H'.
           05  MC-RC                   PIC S9(4) COMP.
           05  MC-REASON               PIC X(8).
           05  MC-MESSAGE-ID           PIC X(256).
           05  MC-JOURNAL-SEQ          PIC S9(15) COMP-3.
           05  MC-RELAY-REPLY          PIC X(256).
           05  MC-KEY                  PIC X(64).
           05  MC-BODY-LEN             PIC S9(8) COMP.
           05  MC-BODY                 PIC X
                                       OCCURS 0 TO 24000 TIMES
                                       DEPENDING ON MC-BODY-LEN.
