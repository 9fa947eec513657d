/*
 * x25519.c — the X25519 function of RFC 7748 §5 and its Diffie-Hellman use
 * (RFC 7748 §6.1).
 *
 * What it computes. Curve25519 is the Montgomery curve v^2 = u^3 + 486662 u^2 + u
 * over the field GF(p), p = 2^255 - 19 (RFC 7748 §4.1). X25519(k, u) takes
 * a 32-byte scalar k and the u-coordinate of a point P, and returns the
 * u-coordinate of [k]P, the point added to itself k times. Diffie-Hellman
 * (§6.1) follows: Alice publishes X25519(a, 9), Bob publishes X25519(b, 9),
 * and both can compute X25519(a, X25519(b, 9)) = X25519(b, X25519(a, 9)),
 * while an eavesdropper who sees only the two public values cannot.
 *
 * The numbers: every coordinate is an element of GF(2^255 - 19), held in
 * five 51-bit limbs. Their arithmetic, with the bound that every limb keeps
 * and the proof of each, is in x25519_field.h (read it first).
 *
 * Side channels (RFC 7748 §5.1). The scalar is secret. No branch and no
 * memory index below depends on it: the ladder does the same field
 * operations for every bit, and chooses between its two points with a
 * masked swap (see fe_cswap for why a mask and not an if). Every secret
 * temporary — the clamped scalar copy and every field element of the
 * ladder and of the inversion — is wiped with ss_wipe before returning.
 *
 * Course position: read after the hash and MAC chapters, before the Noise
 * handshake (src/net/noise.c), whose DH() function is this file's ss_x25519.
 * Course chapter: docs/x25519.md.
 */
#include "x25519.h"

#include "cpu.h"
#include "util.h"
#include "x25519_fast.h"
#include "x25519_field.h"

/* ------------------------------------------------------------------------
 * X25519 (RFC 7748 §5)
 * ------------------------------------------------------------------------ */

/* RFC 7748 §5: a24 = (486662 - 2) / 4 for curve25519. */
#define A24 121665

/*
 * RFC 7748 §5, decodeScalar25519 ("clamping"), on a copy of the scalar:
 *  - clear the 3 low bits: the scalar becomes a multiple of 8, the
 *    cofactor of Curve25519 (the curve has 8 * l points, l prime). A
 *    malicious peer may send a point with a component of small order
 *    (dividing 8); multiplying by a multiple of 8 erases that component,
 *    so the result reveals nothing about the scalar modulo 8. A point of
 *    purely small order gives u = 0, which §6.1's check catches.
 *  - clear bit 255 and set bit 254: every scalar has its top bit at the
 *    same place, so the ladder always runs the same 255 steps, and no
 *    implementation is tempted to skip leading zeros, which would leak the
 *    scalar's length through timing.
 */
static void clamp_scalar(uint8_t e[32], const uint8_t scalar[32])
{
    for (int i = 0; i < 32; i++)
        e[i] = scalar[i];
    e[0] &= 248;
    e[31] &= 127;
    e[31] |= 64;
}

/*
 * The Montgomery ladder, exactly as the pseudocode of RFC 7748 §5, with
 * the RFC's names.
 *
 * Invariant: between steps, (x_2 : z_2) and (x_3 : z_3) are the projective
 * u-coordinates of [m]P and [m+1]P, where m is the value of the scalar
 * bits processed so far — in that order when swap = 0, exchanged when
 * swap = 1. Their difference is always P, whose u is x_1,
 * which is what lets the "differential addition" below compute
 * [m]P + [m+1]P from u-coordinates alone. A 0 bit maps (m, m+1) to
 * (2m, 2m+1) and a 1 bit to (2m+1, 2m+2): the same two operations (one
 * doubling, one addition) with the roles of the two points exchanged.
 * Instead of branching on the bit, the points are swapped before and
 * after; "swap" remembers whether they are currently exchanged, so only a
 * change of bit costs an actual swap.
 *
 * The result (x_2 : z_2) is projective: u = x_2 / z_2, hence the final
 * inversion. Every element is wiped before returning.
 *
 * Bounds along one step (CARRIED = limbs < 2^51 + 2^13, LOOSE < 2^53):
 * x_1, x_2, z_2, x_3, z_3 are CARRIED (decoded, constants, or products).
 * A, B, C, D, E, DA + CB, DA - CB, AA + a24 * E are sums or differences of
 * CARRIED values, so LOOSE; they only enter fe_mul, fe_sq and fe_mul_small,
 * which accept LOOSE inputs and return CARRIED ones.
 */
static void ladder(uint8_t out[32], const uint8_t e[32], const fe x_1)
{
    fe x_2, z_2, x_3, z_3;
    fe A, AA, B, BB, E, C, D, DA, CB, tmp;
    uint64_t swap = 0;

    fe_1(x_2);
    fe_0(z_2);
    fe_copy(x_3, x_1);
    fe_1(z_3);

    /* "For t = bits-1 down to 0", bits = 255 for X25519 */
    for (int t = 254; t >= 0; t--) {
        /* k_t = (k >> t) & 1. The byte index t >> 3 depends on the loop
         * counter only, never on the scalar's value. */
        uint64_t k_t = (uint64_t)(e[t >> 3] >> (t & 7)) & 1;
        swap ^= k_t;
        fe_cswap(x_2, x_3, swap);
        fe_cswap(z_2, z_3, swap);
        swap = k_t;

        fe_add(A, x_2, z_2);     /* A  = x_2 + z_2 */
        fe_sq(AA, A);            /* AA = A^2 */
        fe_sub(B, x_2, z_2);     /* B  = x_2 - z_2 */
        fe_sq(BB, B);            /* BB = B^2 */
        fe_sub(E, AA, BB);       /* E  = AA - BB */
        fe_add(C, x_3, z_3);     /* C  = x_3 + z_3 */
        fe_sub(D, x_3, z_3);     /* D  = x_3 - z_3 */
        fe_mul(DA, D, A);        /* DA = D * A */
        fe_mul(CB, C, B);        /* CB = C * B */

        fe_add(tmp, DA, CB);
        fe_sq(x_3, tmp);         /* x_3 = (DA + CB)^2 */
        fe_sub(tmp, DA, CB);
        fe_sq(tmp, tmp);
        fe_mul(z_3, x_1, tmp);   /* z_3 = x_1 * (DA - CB)^2 */
        fe_mul(x_2, AA, BB);     /* x_2 = AA * BB */
        fe_mul_small(tmp, E, A24);
        fe_add(tmp, AA, tmp);
        fe_mul(z_2, E, tmp);     /* z_2 = E * (AA + a24 * E) */
    }
    fe_cswap(x_2, x_3, swap);
    fe_cswap(z_2, z_3, swap);

    /* Return x_2 * (z_2^(p - 2)) */
    fe_invert(tmp, z_2);
    fe_mul(x_2, x_2, tmp);
    fe_tobytes(out, x_2);

    /* The ladder's state reveals the scalar (and the shared secret). */
    ss_wipe(x_2, sizeof(fe));
    ss_wipe(z_2, sizeof(fe));
    ss_wipe(x_3, sizeof(fe));
    ss_wipe(z_3, sizeof(fe));
    ss_wipe(A, sizeof(fe));
    ss_wipe(AA, sizeof(fe));
    ss_wipe(B, sizeof(fe));
    ss_wipe(BB, sizeof(fe));
    ss_wipe(E, sizeof(fe));
    ss_wipe(C, sizeof(fe));
    ss_wipe(D, sizeof(fe));
    ss_wipe(DA, sizeof(fe));
    ss_wipe(CB, sizeof(fe));
    ss_wipe(tmp, sizeof(fe));
    ss_wipe(&swap, sizeof swap);
}

/*
 * RFC 7748 §6.1: "Both MAY check, without leaking extra information about
 * the value of K, whether K is the all-zero value". The bytes are ORed
 * together — no early exit at the first non-zero byte, which would tell
 * an observer where it is — and the 0/1 answer is derived arithmetically:
 * acc is 0..255, and (acc - 1) >> 8 has its low bit set only for acc = 0
 * (0 - 1 wraps to 0xFFFFFFFF). Returns 1 when all 32 bytes are zero.
 */
static int is_all_zero(const uint8_t s[32])
{
    uint32_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= s[i];
    return (int)(((acc - 1) >> 8) & 1);
}

int ss_x25519(uint8_t shared[32], const uint8_t scalar[32], const uint8_t point[32])
{
    uint8_t e[32];
    fe x_1;

    /* Decode both inputs before writing shared, so shared may be the
     * same buffer as point or scalar. */
    clamp_scalar(e, scalar);
    fe_frombytes(x_1, point);

#if defined(__x86_64__)
    /* The same ladder on four 64-bit limbs with MULX, ADCX and ADOX
     * (x25519_mulx.c), when the CPU has them and SS_CPU allows (cpu.c). */
    if (ss_cpu_features() & SS_CPU_ADX)
        ss_x25519_ladder_mulx(shared, e, point);
    else
        ladder(shared, e, x_1);
#else
    ladder(shared, e, x_1);
#endif

    ss_wipe(e, sizeof e);
    ss_wipe(x_1, sizeof x_1);

    /* RFC 7748 §6.1: an all-zero K means the peer's point had small
     * order (§7), and K depends on the point alone. The RFC lets
     * implementations check (MAY); TLS 1.3 must (RFC 8446 §7.4.2). We
     * report it and leave the policy to the caller: shared is written
     * anyway (all zeros), and the handshake aborts on -1. */
    return -is_all_zero(shared);
}

void ss_x25519_public_key(uint8_t public_key[32], const uint8_t secret_key[32])
{
    /* RFC 7748 §6.1: K_A = X25519(a, 9), "9 ... encoded as a byte with
     * value 9, followed by 31 zero bytes". */
    static const uint8_t base_point[32] = {9};

    /* The same function on the Edwards curve with a table of multiples of
     * the base point (x25519_base.c), about 2.5 times as fast, unless SS_CPU
     * asks for the reference (cpu.c): the tests compare the two. */
    if (ss_cpu_features() & SS_CPU_PORTABLE) {
        uint8_t e[32];
        clamp_scalar(e, secret_key);
        ss_x25519_base_edwards(public_key, e);
        ss_wipe(e, sizeof e);
        return;
    }

    /* The result is never zero: 9 generates the subgroup of prime order
     * l (about 2^252), and a clamped scalar, a multiple of 8 between
     * 2^254 and 2^255, is never a multiple of l (the smallest multiple of
     * both 8 and l is 8l > 2^255). So the check's answer is ignored. */
    (void)ss_x25519(public_key, secret_key, base_point);
}
