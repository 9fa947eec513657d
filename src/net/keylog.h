/*
 * keylog.h — the key log: the traffic keys of each connection, written to
 * the file named by the environment variable SSOCKETS_KEYLOGFILE, so that
 * a person can decrypt a capture of their own sessions (the Wireshark
 * dissector in tools/wireshark reads it). The same idea as the
 * SSLKEYLOGFILE of TLS libraries. Internal (not exported).
 *
 * The file holds one line per connection and per process that logged it:
 *
 *   SSOCKETS_KEYS <initiator_e> <k1> <k2>
 *
 * each value 64 lowercase hex digits: the initiator's ephemeral public key
 * as frame 1 carries it on the wire (it names the session), then the two
 * CipherState keys of Noise Split() (Noise rev 34 §5.2): k1 encrypts what
 * the initiator (client) sends, k2 what the responder (server) sends.
 * Lines starting with '#' are comments. docs/protocol.md §14 is the format's
 * reference; docs/wire.md shows it in use.
 *
 * Anyone who reads the file can read every logged session: it is a
 * debugging aid, off unless the variable is set.
 */
#ifndef SS_KEYLOG_H
#define SS_KEYLOG_H

#include <stdint.h>

/* When SSOCKETS_KEYLOGFILE is set and not empty, appends the line above
 * to that file (created with mode 0600), and the first time in the process
 * prints a one-line warning on stderr. Otherwise does nothing. Never fails
 * the connection: a file that cannot be written is reported on stderr and
 * skipped. Wipes its own copies of the keys. */
void ss_keylog_session(const uint8_t initiator_e[32], const uint8_t k1[32],
                       const uint8_t k2[32]);

/* 1 when SSOCKETS_KEYLOGFILE is set and not empty, so that a caller copies
 * no keys out for a log nobody asked for; else 0. */
int ss_keylog_wanted(void);

#endif
