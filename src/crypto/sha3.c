/*
 * sha3.c — SHA-3 and SHAKE, FIPS 202 (SHA-3 Standard: Permutation-Based Hash
 * and Extendable-Output Functions, August 2015).
 *
 * Course position: the hash of the post-quantum part. ML-KEM (FIPS 203 §4.1)
 * uses SHA3-256 as H, SHA3-512 as G, SHAKE256 as J and PRF, and SHAKE128 as
 * the XOF that expands a 32-byte seed into the public matrix. SHA-256
 * (sha256.c) is a Merkle–Damgård hash: a compression function chained over
 * blocks. SHA-3 is built differently, as a sponge around one fixed
 * permutation, and reading the two side by side is the point of the chapter
 * docs/sha3.md.
 *
 * What SHA-3 does, in one paragraph. The state is 1600 bits, all zero at the
 * start. It is split into the rate (the first r bits, which the message
 * touches) and the capacity (the last c = 1600 - r bits, which it never
 * touches directly). Absorbing: XOR r bits of (padded) message into the rate,
 * apply the permutation Keccak-f[1600], repeat (§4, Algorithm 8). Squeezing:
 * output the rate, apply the permutation, repeat, as long as output is
 * wanted. The security level is c/2 bits, which is why SHA3-256 (c = 512)
 * has a smaller rate than SHAKE128 (c = 256). The permutation is 24 rounds of
 * five steps, θ ρ π χ ι (§3.2), each explained where it is written below.
 *
 * Representation. FIPS 202 §3.1 describes the state as a 5×5×64 array of
 * bits A[x, y, z]; a lane is the 64 bits with the same (x, y). We keep one
 * lane per uint64_t, lane (x, y) at state[x + 5*y], bit z of the lane as bit
 * z of the word. §3.1.2 puts bit z of lane (x, y) at position 64(5y + x) + z
 * of the state string, and §B.1 reads the bits of each byte of the string
 * from least significant up. Together: the state string is the 25 lanes
 * stored little-endian, one after the other, and the byte-string interface
 * is ss_load64_le / ss_store64_le (util.h), independent of the host.
 *
 * Constant time. Nothing here branches on or indexes by data: the rounds
 * use fixed rotations and fixed lane positions, the round constant is
 * indexed by the round number, and the only branches depend on lengths and
 * positions, which are public. ML-KEM feeds its secret seeds through this
 * code; tests/ct checks it under valgrind with the input marked secret.
 *
 * Speed. The permutation is written as the five steps of the standard, each
 * a small function on the 25 lanes; the compiler inlines them into one round
 * and keeps the lanes in registers as far as it can. The sponge absorbs and
 * squeezes whole lanes (eight bytes at a time) whenever its position is
 * lane-aligned, so full blocks never go byte by byte.
 */
#include "sha3.h"

#include <string.h>

#include "util.h"

/* ---------------------------------------------------------------------- */
/* §3.2 and §3.3: the permutation Keccak-p[1600, 24] = Keccak-f[1600]       */
/* ---------------------------------------------------------------------- */

/* Rotate a lane left by n bits, 0 <= n < 64: moving every bit from z to
 * z + n mod 64, the "z" direction of the state. (64 - n) & 63 keeps the
 * right shift below 64 when n is 0, where a shift by 64 would be undefined
 * behaviour; both shifts then move by 0 and the lane is unchanged. */
static inline uint64_t rotl64(uint64_t v, unsigned n)
{
    return (v << n) | (v >> ((64 - n) & 63));
}

/*
 * θ (§3.2.1, Algorithm 1): every bit is XORed with the parities of two
 * columns, the column to its left (x - 1, same z) and the column to its
 * right one bit further along the lane (x + 1, z - 1). Without θ the other
 * steps would mix bits only within a row or a lane; θ spreads every bit to
 * eleven others, and after a few rounds every output bit depends on every
 * input bit. C[x] is the parity of column x (all five lanes of that x),
 * D[x] what is added to every lane of column x.
 */
static inline void theta(uint64_t a[25], uint64_t scratch[25])
{
    uint64_t *c = scratch, *d = scratch + 5;
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++)
        c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++)
        d[x] = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++)
        a[i] ^= d[i % 5];
}

/*
 * ρ (§3.2.2, Algorithm 2): rotate each lane by its own offset, so that bits
 * that θ lined up along z are moved apart. Algorithm 2 walks the lanes from
 * (1, 0) along (x, y) -> (y, 2x + 3y mod 5), giving the t-th lane of the walk
 * (t = 0..23) the offset (t + 1)(t + 2)/2 mod 64; lane (0, 0) is not rotated.
 * The table is that walk's result (Table 2 of FIPS 202), indexed x + 5y.
 */
static const unsigned rho_offsets[25] = {
    0,  1,  62, 28, 27, /* y = 0 */
    36, 44, 6,  55, 20, /* y = 1 */
    3,  10, 43, 25, 39, /* y = 2 */
    41, 45, 15, 21, 8,  /* y = 3 */
    18, 2,  61, 56, 14, /* y = 4 */
};

static inline void rho(uint64_t a[25])
{
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++)
        a[i] = rotl64(a[i], rho_offsets[i]);
}

/*
 * π (§3.2.3, Algorithm 3): move the lanes around, A'[x, y] = A[x + 3y mod 5,
 * x]. It is a transposition of the 5×5 lane grid that breaks up rows and
 * columns: lanes that were in one row (which χ is about to combine) come
 * from five different rows and columns. Lane (0, 0) stays.
 */
static inline void pi(uint64_t a[25], uint64_t scratch[25])
{
    uint64_t *b = scratch;
    memcpy(b, a, 25 * sizeof *b);
#pragma GCC unroll 5
    for (int y = 0; y < 5; y++)
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++)
            a[x + 5 * y] = b[(x + 3 * y) % 5 + 5 * x];
}

/*
 * χ (§3.2.4, Algorithm 4): the only non-linear step. Within each row of
 * five lanes, A'[x] = A[x] XOR (NOT A[x + 1] AND A[x + 2]): a bit flips when
 * its right neighbour is 0 and the one after is 1. Everything else in Keccak
 * is XOR, rotation and moving lanes, i.e. linear over GF(2); without χ the
 * whole permutation would be a matrix and trivially invertible from outputs.
 * The row is copied first because every new lane needs old neighbours.
 */
static inline void chi(uint64_t a[25], uint64_t scratch[25])
{
    uint64_t *row = scratch;
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++)
            row[x] = a[y + x];
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++)
            a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
}

/*
 * ι (§3.2.5, Algorithm 6): XOR a round constant into lane (0, 0). The other
 * four steps treat every position alike (they commute with shifting the
 * state along z, and the whole state with itself); ι breaks that symmetry so
 * that the rounds differ from each other. Round i's constant has bits only
 * at positions 2^j - 1 (j = 0..6), bit 2^j - 1 being rc(j + 7i), the output
 * of the degree-8 LFSR x^8 + x^6 + x^5 + x^4 + 1 of Algorithm 5. The table
 * is those 24 values (for Keccak-p[1600, 24], rounds i = 0..23, §3.3).
 */
static const uint64_t round_constants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

static inline void iota(uint64_t a[25], int round)
{
    a[0] ^= round_constants[round];
}

/* §3.3, Algorithm 7, with n_r = 24 and w = 64 (b = 1600): rounds i_r = 0..23,
 * each Rnd(A, i_r) = ι(χ(π(ρ(θ(A)))), i_r) (§3.3 (3)). Keccak-f[1600] is this
 * permutation (§3.4). */
void ss_keccak_f1600(uint64_t state[25])
{
    uint64_t scratch[25];
    for (int round = 0; round < 24; round++) {
        theta(state, scratch);
        rho(state);
        pi(state, scratch);
        chi(state, scratch);
        iota(state, round);
    }
    ss_wipe(scratch, sizeof scratch);
}

/* ---------------------------------------------------------------------- */
/* §4: the sponge, on a rate of ctx->rate bytes                            */
/* ---------------------------------------------------------------------- */

/* XOR one byte into the state string at byte position pos (< 200): byte
 * pos % 8 of lane pos / 8, little-endian (the representation above). */
static inline void xor_byte(uint64_t state[25], size_t pos, uint8_t b)
{
    state[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

/* Byte pos of the state string. */
static inline uint8_t get_byte(const uint64_t state[25], size_t pos)
{
    return (uint8_t)(state[pos / 8] >> (8 * (pos % 8)));
}

/* Start a sponge with capacity c = 2 * (security bits): rate = 200 - c/8
 * bytes, and the state all zero (§4 Algorithm 8, step 5: S = 0^b). */
static void sponge_init(ss_sha3_ctx *ctx, size_t capacity_bytes, uint8_t suffix)
{
    memset(ctx->state, 0, sizeof ctx->state);
    ctx->rate = 200 - capacity_bytes;
    ctx->pos = 0;
    ctx->suffix = suffix;
    ctx->squeezing = 0;
}

/* §6.1: SHA3-256 is KECCAK[512](M || 01, 256), SHA3-512 is KECCAK[1024](M ||
 * 01, 512): capacity twice the digest length. §6.2: SHAKE128 is
 * KECCAK[256](M || 1111, d), SHAKE256 is KECCAK[512](M || 1111, d).
 * The suffix byte (§B.2) packs those domain bits with the first bit of the
 * pad10*1 padding (§5.1), least significant bit first: 01 then 1 is 0b110 =
 * 0x06; 1111 then 1 is 0b11111 = 0x1F. */
void ss_sha3_256_init(ss_sha3_ctx *ctx)
{
    sponge_init(ctx, 64, 0x06);
}

void ss_sha3_512_init(ss_sha3_ctx *ctx)
{
    sponge_init(ctx, 128, 0x06);
}

void ss_shake128_init(ss_sha3_ctx *ctx)
{
    sponge_init(ctx, 32, 0x1f);
}

void ss_shake256_init(ss_sha3_ctx *ctx)
{
    sponge_init(ctx, 64, 0x1f);
}

/*
 * Absorbing (§4, Algorithm 8 steps 6): each r-bit block P_i is XORed into the
 * rate, S = f(S XOR (P_i || 0^c)). The block is not collected in a buffer:
 * the bytes are XORed straight into the state as they arrive, and the
 * permutation runs as soon as the rate is full. So after absorbing exactly k
 * blocks the state is the one after the k-th permutation (tests/test_sha3.c
 * compares it with the Keccak team's intermediate values).
 */
void ss_sha3_absorb(ss_sha3_ctx *ctx, const void *in, size_t len)
{
    const uint8_t *p = in;
    size_t rate = ctx->rate;
    while (len > 0) {
        if (ctx->pos % 8 == 0 && len >= 8) {
            /* lane-aligned: whole lanes, up to the end of the block */
            size_t lanes = (rate - ctx->pos) / 8;
            if (lanes > len / 8)
                lanes = len / 8;
            for (size_t i = 0; i < lanes; i++)
                ctx->state[ctx->pos / 8 + i] ^= ss_load64_le(p + 8 * i);
            ctx->pos += 8 * lanes;
            p += 8 * lanes;
            len -= 8 * lanes;
        } else {
            xor_byte(ctx->state, ctx->pos++, *p++);
            len--;
        }
        if (ctx->pos == rate) {
            ss_keccak_f1600(ctx->state);
            ctx->pos = 0;
        }
    }
}

/*
 * The end of absorbing (§5.1 pad10*1, §B.2): the suffix byte (domain bits
 * and the first padding 1) goes right after the message, the last padding 1
 * into the last bit of the rate (the top bit of its last byte). When the
 * message left exactly one byte free both land in that byte: 0x06 ^ 0x80 =
 * 0x86. The message never fills the rate here: absorb permutes as soon as
 * it is full, so pos < rate. Then the last permutation, and squeezing starts
 * at the beginning of the rate.
 */
static void sponge_pad(ss_sha3_ctx *ctx)
{
    xor_byte(ctx->state, ctx->pos, ctx->suffix);
    xor_byte(ctx->state, ctx->rate - 1, 0x80);
    ss_keccak_f1600(ctx->state);
    ctx->pos = 0;
    ctx->squeezing = 1;
}

/*
 * Squeezing (§4, Algorithm 8 steps 7-10): output the rate, permute, output
 * the rate again, ... Here pos counts the bytes of the current rate already
 * output, and the permutation runs only when more output is asked for, so
 * that squeezing in pieces gives the same stream as squeezing at once.
 */
void ss_shake_squeeze(uint8_t *out, size_t out_len, ss_sha3_ctx *ctx)
{
    if (!ctx->squeezing)
        sponge_pad(ctx);
    while (out_len > 0) {
        if (ctx->pos == ctx->rate) {
            ss_keccak_f1600(ctx->state);
            ctx->pos = 0;
        }
        if (ctx->pos % 8 == 0 && out_len >= 8) {
            size_t lanes = (ctx->rate - ctx->pos) / 8;
            if (lanes > out_len / 8)
                lanes = out_len / 8;
            for (size_t i = 0; i < lanes; i++)
                ss_store64_le(out + 8 * i, ctx->state[ctx->pos / 8 + i]);
            ctx->pos += 8 * lanes;
            out += 8 * lanes;
            out_len -= 8 * lanes;
        } else {
            *out++ = get_byte(ctx->state, ctx->pos++);
            out_len--;
        }
    }
}

void ss_sha3_wipe(ss_sha3_ctx *ctx)
{
    ss_wipe(ctx, sizeof *ctx);
}

/* §6.1: the digest is the first 256 (512) bits squeezed; both are shorter
 * than the rate (136, 72 bytes), so one permutation after the padding. */
void ss_sha3_256_final(uint8_t out[32], ss_sha3_ctx *ctx)
{
    ss_shake_squeeze(out, 32, ctx);
    ss_sha3_wipe(ctx);
}

void ss_sha3_512_final(uint8_t out[64], ss_sha3_ctx *ctx)
{
    ss_shake_squeeze(out, 64, ctx);
    ss_sha3_wipe(ctx);
}

/* ---------------------------------------------------------------------- */
/* One-shot forms                                                          */
/* ---------------------------------------------------------------------- */

void ss_sha3_256(uint8_t out[32], const void *in, size_t len)
{
    ss_sha3_ctx ctx;
    ss_sha3_256_init(&ctx);
    ss_sha3_absorb(&ctx, in, len);
    ss_sha3_256_final(out, &ctx);
}

void ss_sha3_512(uint8_t out[64], const void *in, size_t len)
{
    ss_sha3_ctx ctx;
    ss_sha3_512_init(&ctx);
    ss_sha3_absorb(&ctx, in, len);
    ss_sha3_512_final(out, &ctx);
}

void ss_shake128(uint8_t *out, size_t out_len, const void *in, size_t len)
{
    ss_sha3_ctx ctx;
    ss_shake128_init(&ctx);
    ss_sha3_absorb(&ctx, in, len);
    ss_shake_squeeze(out, out_len, &ctx);
    ss_sha3_wipe(&ctx);
}

void ss_shake256(uint8_t *out, size_t out_len, const void *in, size_t len)
{
    ss_sha3_ctx ctx;
    ss_shake256_init(&ctx);
    ss_sha3_absorb(&ctx, in, len);
    ss_shake_squeeze(out, out_len, &ctx);
    ss_sha3_wipe(&ctx);
}
