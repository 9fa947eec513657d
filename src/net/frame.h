/*
 * frame.h — the unit on the wire: a 2-byte big-endian length, then that
 * many bytes (internal; not installed).
 *
 *     +--------+--------+----------------------+
 *     |  L (big-endian) |  L bytes, 0..65535   |
 *     +--------+--------+----------------------+
 *
 * Frames know nothing of keys or Noise: the protocol name, each handshake
 * message and each encrypted transport message are simply frames
 * (docs/protocol.md). Error convention as in sock.h: -1 means the reason is
 * in the calling thread's last error; the two "end of stream" values record
 * nothing, because their meaning depends on what the caller was waiting for.
 * Spec: Noise rev 34 §3 (messages of at most 65535 bytes) and §13 (a 16-bit
 * big-endian length field). Course: docs/protocol.md ("Frames").
 */
#ifndef SS_FRAME_H
#define SS_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* The largest L a 16-bit length can carry; also Noise's message limit. */
#define SS_FRAME_MAX 65535

/* The stream ended cleanly between two frames (reading), or the peer is
 * gone (writing: broken pipe or reset). */
#define SS_FRAME_EOF (-2)
/* The stream ended in the middle of a frame: some of it never came. */
#define SS_FRAME_CUT (-3)

/* Sends buf[0..len) as one frame; the deadline covers the whole frame.
 * 0, -1 (SS_ERR_ARGUMENT when len > SS_FRAME_MAX, SS_ERR_TIMEOUT,
 * SS_ERR_SYSTEM) or SS_FRAME_EOF. */
int ss_frame_write(int fd, const uint8_t *buf, size_t len, int64_t deadline);

/* Receives one frame into buf, its length in *len. A frame longer than cap
 * fails with SS_ERR_BAD_FRAME before its body is read (a peer announcing
 * 18,245 bytes where a 32-byte name belongs is not waited for). 0, -1
 * (SS_ERR_BAD_FRAME, SS_ERR_TIMEOUT, SS_ERR_SYSTEM), SS_FRAME_EOF or
 * SS_FRAME_CUT. */
int ss_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len, int64_t deadline);

#endif
