/*
 * random.c — key material from the kernel: getrandom(2) (Linux man-pages,
 * flags 0).
 *
 * Course position: every ephemeral key in the handshake and every static
 * key pair starts here. A key is only as strong as the randomness it came
 * from, so there is deliberately no fallback (no time(), no rand(), no
 * /dev/urandom open that could fail silently in a chroot): if the kernel
 * cannot give us random bytes, the operation fails.
 *
 * getrandom(2) with flags 0 reads the same pool as /dev/urandom but blocks
 * until that pool has been seeded once at boot, so it never returns
 * predictable early-boot bytes. It may return fewer bytes than asked
 * (requests over 256 bytes can be interrupted by a signal) and may fail
 * with EINTR; both cases are retried.
 *
 * Course: docs/x25519.md ("Where keys come from").
 */
#include "random.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>

#include "util.h"

int ss_random(uint8_t *out, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ss_wipe(out, len);
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}
