/*
 * test_api.c — the public prototypes are exactly the ones the design fixes
 * (issue "Crypto core": names, argument order, outputs first).
 *
 * _Generic picks the branch whose type matches &function exactly; a changed
 * parameter type or order selects `default: 0` and the static assertion
 * stops the build. Array parameters such as uint8_t out[32] are pointers in
 * a function type, so they are written as pointers here.
 */
#include "common.h"
#include "ssockets.h"

#define HAS_TYPE(fn, type) _Generic(&(fn), type: 1, default: 0)

_Static_assert(HAS_TYPE(ss_sha256, void (*)(uint8_t *, const uint8_t *, size_t)), "ss_sha256");
_Static_assert(HAS_TYPE(ss_sha256_init, void (*)(ss_sha256_ctx *)), "ss_sha256_init");
_Static_assert(HAS_TYPE(ss_sha256_update, void (*)(ss_sha256_ctx *, const uint8_t *, size_t)),
               "ss_sha256_update");
_Static_assert(HAS_TYPE(ss_sha256_final, void (*)(ss_sha256_ctx *, uint8_t *)), "ss_sha256_final");
_Static_assert(HAS_TYPE(ss_hmac_sha256,
                        void (*)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t)),
               "ss_hmac_sha256");
_Static_assert(HAS_TYPE(ss_hmac_sha256_init, void (*)(ss_hmac_sha256_ctx *, const uint8_t *, size_t)),
               "ss_hmac_sha256_init");
_Static_assert(HAS_TYPE(ss_hmac_sha256_update,
                        void (*)(ss_hmac_sha256_ctx *, const uint8_t *, size_t)),
               "ss_hmac_sha256_update");
_Static_assert(HAS_TYPE(ss_hmac_sha256_final, void (*)(ss_hmac_sha256_ctx *, uint8_t *)),
               "ss_hmac_sha256_final");
_Static_assert(HAS_TYPE(ss_hkdf_sha256, int (*)(uint8_t *, size_t, const uint8_t *, size_t,
                                                const uint8_t *, size_t, const uint8_t *, size_t)),
               "ss_hkdf_sha256");
_Static_assert(HAS_TYPE(ss_hkdf_sha256_extract,
                        void (*)(uint8_t *, const uint8_t *, size_t, const uint8_t *, size_t)),
               "ss_hkdf_sha256_extract");
_Static_assert(HAS_TYPE(ss_hkdf_sha256_expand, int (*)(uint8_t *, size_t, const uint8_t *, size_t,
                                                       const uint8_t *, size_t)),
               "ss_hkdf_sha256_expand");
_Static_assert(HAS_TYPE(ss_x25519, int (*)(uint8_t *, const uint8_t *, const uint8_t *)), "ss_x25519");
_Static_assert(HAS_TYPE(ss_x25519_public_key, void (*)(uint8_t *, const uint8_t *)),
               "ss_x25519_public_key");
_Static_assert(HAS_TYPE(ss_chacha20_block,
                        void (*)(uint8_t *, const uint8_t *, uint32_t, const uint8_t *)),
               "ss_chacha20_block");
_Static_assert(HAS_TYPE(ss_chacha20_xor, void (*)(uint8_t *, const uint8_t *, size_t, const uint8_t *,
                                                  uint32_t, const uint8_t *)),
               "ss_chacha20_xor");
_Static_assert(HAS_TYPE(ss_poly1305, void (*)(uint8_t *, const uint8_t *, size_t, const uint8_t *)),
               "ss_poly1305");
_Static_assert(HAS_TYPE(ss_poly1305_init, void (*)(ss_poly1305_ctx *, const uint8_t *)),
               "ss_poly1305_init");
_Static_assert(HAS_TYPE(ss_poly1305_update, void (*)(ss_poly1305_ctx *, const uint8_t *, size_t)),
               "ss_poly1305_update");
_Static_assert(HAS_TYPE(ss_poly1305_final, void (*)(ss_poly1305_ctx *, uint8_t *)),
               "ss_poly1305_final");
_Static_assert(HAS_TYPE(ss_aead_seal,
                        int (*)(uint8_t *, uint8_t *, const uint8_t *, const uint8_t *,
                                 const uint8_t *, size_t, const uint8_t *, size_t)),
               "ss_aead_seal");
_Static_assert(HAS_TYPE(ss_aead_open,
                        int (*)(uint8_t *, const uint8_t *, const uint8_t *, const uint8_t *,
                                size_t, const uint8_t *, size_t, const uint8_t *)),
               "ss_aead_open");
_Static_assert(HAS_TYPE(ss_random, int (*)(uint8_t *, size_t)), "ss_random");
_Static_assert(HAS_TYPE(ss_server, ss_conn *(*)(const char *, uint16_t, const ss_config *)),
               "ss_server");
_Static_assert(HAS_TYPE(ss_client, ss_conn *(*)(const char *, uint16_t, const ss_config *)),
               "ss_client");
_Static_assert(HAS_TYPE(ss_send, int (*)(ss_conn *, const void *, size_t)), "ss_send");
_Static_assert(HAS_TYPE(ss_recv, ssize_t (*)(ss_conn *, void *, size_t)), "ss_recv");
_Static_assert(HAS_TYPE(ss_recv_wait, ssize_t (*)(ss_conn *, void *, size_t, int)),
               "ss_recv_wait");
_Static_assert(HAS_TYPE(ss_client_nonblocking,
                        int (*)(const char *, uint16_t, const ss_config *, ss_conn **)),
               "ss_client_nonblocking");
_Static_assert(HAS_TYPE(ss_close, int (*)(ss_conn *)), "ss_close");
_Static_assert(HAS_TYPE(ss_listen, ss_listener *(*)(const char *, uint16_t, const ss_config *)),
               "ss_listen");
_Static_assert(HAS_TYPE(ss_accept, ss_conn *(*)(ss_listener *)), "ss_accept");
_Static_assert(HAS_TYPE(ss_accept_nonblocking, int (*)(ss_listener *, ss_conn **)),
               "ss_accept_nonblocking");
_Static_assert(HAS_TYPE(ss_listener_fd, int (*)(const ss_listener *)), "ss_listener_fd");
_Static_assert(HAS_TYPE(ss_listener_shutdown, void (*)(ss_listener *)), "ss_listener_shutdown");
_Static_assert(HAS_TYPE(ss_conn_fd, int (*)(const ss_conn *)), "ss_conn_fd");
_Static_assert(HAS_TYPE(ss_conn_set_nonblocking, int (*)(ss_conn *, int)),
               "ss_conn_set_nonblocking");
_Static_assert(HAS_TYPE(ss_conn_handshake, int (*)(ss_conn *)), "ss_conn_handshake");
_Static_assert(HAS_TYPE(ss_flush, int (*)(ss_conn *)), "ss_flush");
_Static_assert(HAS_TYPE(ss_conn_memory, size_t (*)(const ss_conn *)), "ss_conn_memory");
_Static_assert(HAS_TYPE(ss_engine_new, ss_engine *(*)(int, const ss_config *)), "ss_engine_new");
_Static_assert(HAS_TYPE(ss_engine_free, void (*)(ss_engine *)), "ss_engine_free");
_Static_assert(HAS_TYPE(ss_engine_input_buffer, uint8_t *(*)(ss_engine *, size_t *)),
               "ss_engine_input_buffer");
_Static_assert(HAS_TYPE(ss_engine_input_done, int (*)(ss_engine *, size_t)),
               "ss_engine_input_done");
_Static_assert(HAS_TYPE(ss_engine_feed, ssize_t (*)(ss_engine *, const uint8_t *, size_t)),
               "ss_engine_feed");
_Static_assert(HAS_TYPE(ss_engine_input_end, int (*)(ss_engine *)), "ss_engine_input_end");
_Static_assert(HAS_TYPE(ss_engine_output, const uint8_t *(*)(ss_engine *, size_t *)),
               "ss_engine_output");
_Static_assert(HAS_TYPE(ss_engine_output_done, void (*)(ss_engine *, size_t)),
               "ss_engine_output_done");
_Static_assert(HAS_TYPE(ss_engine_send, int (*)(ss_engine *, const void *, size_t, size_t *)),
               "ss_engine_send");
_Static_assert(HAS_TYPE(ss_engine_recv, ssize_t (*)(ss_engine *, void *, size_t, int *)),
               "ss_engine_recv");
_Static_assert(HAS_TYPE(ss_engine_close, int (*)(ss_engine *)), "ss_engine_close");

START_TEST(umbrella_header_compiles_alone)
{
    /* The assertions above ran at compile time; reaching here means the
     * umbrella header is self-contained and every prototype matched. */
    ck_assert_str_eq(ss_strerror(SS_OK), "success");
    ck_assert_str_eq(ss_strerror(-1), "unknown error");
    ck_assert_str_eq(ss_strerror(SS_ERR_COUNT), "unknown error");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("prototypes");
    tcase_add_test(tc, umbrella_header_compiles_alone);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
