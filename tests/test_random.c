/* test_random.c — ss_random draws from the kernel and fills what it is asked. */
#include <string.h>

#include "common.h"
#include "crypto/random.h"

START_TEST(fills_every_byte)
{
    /* Two 64-byte draws that agree, or a draw left all zero, would mean the
     * output is not coming from the CSPRNG (2^-512 by chance). */
    uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
    ck_assert_int_eq(ss_random(a, sizeof a), 0);
    ck_assert_int_eq(ss_random(b, sizeof b), 0);
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert(memcmp(a, zero, sizeof a) != 0);
}
END_TEST

START_TEST(large_request_completes)
{
    /* getrandom may return short counts above 256 bytes; the loop must
     * finish the request. The last kilobyte being all zero would show it
     * stopped early. */
    static uint8_t big[1 << 20];
    uint8_t zero[1024] = {0};
    ck_assert_int_eq(ss_random(big, sizeof big), 0);
    ck_assert(memcmp(big + sizeof big - sizeof zero, zero, sizeof zero) != 0);
}
END_TEST

START_TEST(null_with_zero_length)
{
    ck_assert_int_eq(ss_random(NULL, 0), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("random");
    TCase *tc = tcase_create("getrandom");
    tcase_add_test(tc, fills_every_byte);
    tcase_add_test(tc, large_request_completes);
    tcase_add_test(tc, null_with_zero_length);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
