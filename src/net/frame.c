/*
 * frame.c — length-prefixed frames over a TCP stream.
 *
 * Course position: between sock.c (bytes) and conn.c (messages). TCP
 * delivers a stream of bytes with no boundaries: two send() calls may
 * arrive as one recv(), one send() as several. The original library
 * treated each recv() as a message, which merged and split messages at
 * random. A frame puts the boundary back: the receiver reads the 2-byte
 * length first and then exactly that many bytes, however TCP chopped them.
 *
 * Two bytes limit a frame to 65,535 bytes, the same limit the Noise
 * specification puts on every Noise message (Noise rev 34 §3), so one
 * frame always carries exactly one Noise message; longer application
 * messages are split by conn.c, not here. A 16-bit big-endian length
 * before each message is what the specification recommends (§13, "Length
 * fields"), so any Noise implementation can read these frames.
 * Course chapter: docs/protocol.md ("Frames").
 */
#include "frame.h"

#include <sys/uio.h>

#include "fail.h"
#include "sock.h"

int ss_frame_write(int fd, const uint8_t *buf, size_t len, int64_t deadline)
{
    if (len > SS_FRAME_MAX)
        return ss_fail(NULL, SS_ERR_ARGUMENT, "a frame of %zu bytes (at most %d)", len,
                       SS_FRAME_MAX);
    /* The length goes in network byte order (big-endian), high byte first. */
    uint8_t header[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    /* Header and body leave in one sendmsg() call, so the kernel can put
     * them in one segment instead of sending a lone 2-byte packet. */
    struct iovec iov[2] = {
        {.iov_base = header, .iov_len = sizeof header},
        {.iov_base = (void *)buf, .iov_len = len}, /* sendmsg only reads it */
    };
    int rc = ss_sock_write_full(fd, iov, 2, deadline);
    return rc == SS_SOCK_EOF ? SS_FRAME_EOF : rc;
}

int ss_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    uint8_t header[2];
    size_t got;
    *len = 0;
    int rc = ss_sock_read_full(fd, header, sizeof header, &got, deadline);
    if (rc == SS_SOCK_EOF)
        /* No byte of a new frame: the stream ended on a frame boundary.
         * One byte of the length: a frame had begun. */
        return got == 0 ? SS_FRAME_EOF : SS_FRAME_CUT;
    if (rc < 0)
        return -1;

    size_t n = ((size_t)header[0] << 8) | header[1];
    if (n > cap)
        return ss_fail(NULL, SS_ERR_BAD_FRAME, "a frame of %zu bytes where at most %zu fit", n,
                       cap);
    rc = ss_sock_read_full(fd, buf, n, NULL, deadline);
    if (rc == SS_SOCK_EOF)
        return SS_FRAME_CUT;
    if (rc < 0)
        return -1;
    *len = n;
    return 0;
}
