/*
 * main.c — the `ssockets` command: a netcat-shaped front end to the
 * library.
 *
 *   ssockets listen  [--key FILE] [--peer KEY|FILE] [--allow FILE] [--hybrid-only]
 *                    [--plain] [--trace] [--fingerprint] [--timeout S] HOST PORT
 *   ssockets connect [--key FILE] [--peer KEY|FILE] [--hybrid | --classic]
 *                    [--plain] [--trace] [--fingerprint] [--timeout S] HOST PORT
 *   ssockets genkey  [--force] FILE
 *   ssockets pubkey  FILE
 *   ssockets convert-key FILE
 *   ssockets --version
 *
 * (listen and connect also take the course options --test-ephemeral FILE,
 * which fixes the ephemeral key for the worked examples of docs/, and
 * --test-kem FILE, which fixes the ML-KEM-768 inputs of a hybrid session;
 * never for real use.)
 *
 * Course position: the top layer. It uses only the public API (ssockets.h)
 * and shows how an application chooses its security: the options become an
 * ss_config, and which keys that config holds decides the Noise pattern
 * (the table in conn.h, repeated in the help below). This file reads the
 * command line, loads the keys and opens the connection; relay.c moves the
 * data. Every failure ends with exactly one line "ssockets: <reason>" on
 * stderr and an exit code that says what kind of failure it was (cli.h).
 * Course chapter: docs/cli.md (the command's manual).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/util.h"

/* ------------------------------------------------------------------ */
/* Help texts: everything the command does, in one place.              */
/* ------------------------------------------------------------------ */

static const char main_help[] =
    "usage: ssockets COMMAND [OPTIONS] ARGUMENTS\n"
    "\n"
    "An encrypted, authenticated pipe between two programs over TCP: Noise\n"
    "handshakes (NN, NK, XX) with X25519, ChaCha20-Poly1305 and SHA-256, and\n"
    "their hybrid forms (NNhfs, NKhfs, XXhfs) that add ML-KEM-768.\n"
    "Standard input goes to the peer; the peer's messages go to standard output.\n"
    "\n"
    "Commands:\n"
    "  listen  [--key FILE] [--peer KEY|FILE] [--allow FILE] [--hybrid-only]\n"
    "          [--plain] [--trace] [--fingerprint] [--timeout S] HOST PORT\n"
    "              wait for one client on HOST:PORT, handshake, relay\n"
    "  connect [--key FILE] [--peer KEY|FILE] [--hybrid | --classic] [--plain]\n"
    "          [--trace] [--fingerprint] [--timeout S] HOST PORT\n"
    "              connect to a listener on HOST:PORT, handshake, relay\n"
    "  genkey  [--force] FILE\n"
    "              write a new private key to FILE (PEM, mode 0600), print its\n"
    "              public key\n"
    "  pubkey  FILE\n"
    "              print the public key of the private key in FILE\n"
    "  convert-key FILE\n"
    "              rewrite a private key FILE of ssockets 0.1 (one line of base64)\n"
    "              as PEM, print its public key\n"
    "  version     print the version (also: --version)\n"
    "\n"
    "Which handshake runs: the client proposes, the server decides.\n"
    "  connect with             pattern  authenticated\n"
    "  (no key options)         NN       nobody: encrypted, but a man in the middle\n"
    "                                    can read and change everything\n"
    "  --peer KEY               NK       the server (its key must be KEY)\n"
    "  --key FILE               XX       both sides\n"
    "  --key FILE --peer KEY    XX       both sides, and the server's key must be KEY\n"
    "  listen with              accepts\n"
    "  (no key options)         NN only\n"
    "  --key FILE               NK and XX\n"
    "  --key FILE --allow LIST  XX only, from a client key listed in LIST\n"
    "  --key FILE --peer KEY    XX only, from the client key KEY\n"
    "\n"
    "Hybrid (post-quantum) handshakes: connect --hybrid proposes the hfs form of\n"
    "the same pattern (NNhfs, NKhfs, XXhfs), which adds an ML-KEM-768 key\n"
    "exchange, so that traffic recorded today stays secret from a future quantum\n"
    "computer; authentication stays X25519. The default is classical (--classic).\n"
    "listen accepts both forms of every pattern it accepts; listen --hybrid-only\n"
    "refuses the classical ones.\n"
    "\n"
    "Keys are X25519 keys. A private key file is OpenSSL PEM ('PRIVATE KEY'), so\n"
    "keys made by 'openssl genpkey -algorithm X25519' work, and\n"
    "'openssl pkey -in FILE -pubout' reads ours. A public key is one line of\n"
    "base64 (44 characters, as WireGuard writes them; what genkey prints) or a\n"
    "PEM 'PUBLIC KEY'. A public key where a private one is expected, or the\n"
    "reverse, is refused (exit 3) with what the file holds.\n"
    "\n"
    "Course options (listen and connect; NEVER in real use):\n"
    "  --test-ephemeral FILE    a fixed ephemeral key, so that the worked examples\n"
    "                           of docs/ give the same bytes on every run; it\n"
    "                           destroys forward secrecy and makes every session\n"
    "                           identical\n"
    "  --test-kem FILE          the same for a hybrid session's ML-KEM-768 inputs\n"
    "\n"
    "Exit status:\n"
    "  0  success; for listen/connect: both sides closed cleanly\n"
    "  1  connection or protocol error (refused, timeout, wrong or unknown key,\n"
    "     tampered or truncated stream, ...) or an I/O error\n"
    "  2  usage error\n"
    "  3  key error (missing, malformed, the wrong kind of key, readable by\n"
    "     others, already exists)\n"
    "\n"
    "Run 'ssockets COMMAND --help' for the details of a command.\n";

/* What listen and connect share: the data flow and the exit codes. */
#define RELAY_HELP                                                              \
    "Data: each read of standard input (at most 64 KiB) is sent as one message;\n" \
    "the peer's messages are written to standard output. At the end of standard\n" \
    "input an authenticated close is sent, and the program keeps receiving until\n" \
    "the peer's close has arrived too; then it exits 0. (At a terminal, Ctrl-D\n" \
    "ends your side.) A stream that ends without the peer's close is an error.\n" \
    "\n"                                                                        \
    "Exit status: 0 clean end, 1 connection, protocol or I/O error, 2 usage\n"  \
    "error, 3 key error.\n"

#define COMMON_OPTIONS_HELP                                                     \
    "  --fingerprint     after the handshake, print the first 16 bytes of the\n" \
    "                    handshake hash h on standard error:\n"                \
    "                      ssockets: fingerprint XXXX XXXX XXXX XXXX XXXX XXXX XXXX XXXX\n" \
    "                    Both sides print the same line unless someone is in the\n" \
    "                    middle: compare them by another channel (phone, in person)\n" \
    "  --trace           print every handshake step and every frame (in hex) on\n" \
    "                    standard error, including the SECRET keys (h, ck, k):\n" \
    "                    for learning only\n"                                  \
    "  --plain           no handshake and no encryption: the data travels in clear\n" \
    "                    (for the packet-capture demonstration only); both sides\n" \
    "                    must use it\n"                                         \
    "  -h, --help        this text\n"

/* The course's worked examples (docs/handshake.md, docs/protocol.md) must
 * give the same bytes on every run, so they fix the one random input of a
 * handshake. That weakens every pattern (no forward secrecy, and every
 * session the same), hence a heading and a warning of its own. */
#define COURSE_OPTIONS_HELP                                                     \
    "\n"                                                                        \
    "Course options (for reproducing the worked examples in docs/; NEVER in\n"  \
    "real use):\n"                                                              \
    "  --test-ephemeral FILE\n"                                                 \
    "                    use the private key in FILE as our ephemeral key instead\n" \
    "                    of a fresh random one, so that every run gives the same\n" \
    "                    bytes. A fixed ephemeral key destroys forward secrecy\n" \
    "                    and makes every session identical (a warning is printed)\n" \
    "  --test-kem FILE   the same for a hybrid (hfs) session: FILE holds, in hex,\n" \
    "                    an ML-KEM-768 decapsulation key (2,400 bytes; the client's\n" \
    "                    e1) then the encapsulation randomness m (32 bytes; the\n" \
    "                    server's ekem1), e.g. docs/keys/kem_xxhfs.hex\n"

static const char listen_help[] =
    "usage: ssockets listen [OPTIONS] HOST PORT\n"
    "\n"
    "Listens on HOST:PORT, accepts one client, runs the handshake, then relays\n"
    "until both sides have closed. HOST is an IPv4 or IPv6 address or a host\n"
    "name (0.0.0.0 or :: for every interface); an IPv6 address may be written\n"
    "in brackets, as [::1]. PORT 0 picks a free port.\n"
    "\n"
    "On standard error it prints, as soon as it is listening:\n"
    "  ssockets: listening on HOST:PORT\n"
    "and after the handshake:\n"
    "  ssockets: connected, PROTOCOL, peer key KEY    (or: (no peer key))\n"
    "\n"
    "The server decides which handshakes it accepts:\n"
    "  (no key options)          NN only: encrypted, nobody authenticated\n"
    "  --key FILE                NK and XX: clients can authenticate us\n"
    "  --key FILE --allow LIST   XX only, from a client key listed in LIST\n"
    "  --key FILE --peer KEY     XX only, from the client key KEY\n"
    "Each in both forms, classical and hybrid (NNhfs, NKhfs, XXhfs: ML-KEM-768\n"
    "added), unless --hybrid-only.\n"
    "\n"
    "Options:\n"
    "  --key FILE        our private key (PEM, mode 0600)\n"
    "  --hybrid-only     refuse classical proposals: accept only the hybrid forms\n"
    "                    (a client must connect with --hybrid)\n"
    "  --allow FILE      with --key: accept only clients whose public key is in\n"
    "                    FILE, one base64 key per line (blank lines, and text\n"
    "                    after '#', are ignored)\n"
    "  --peer KEY|FILE   with --key: accept only this client key, given as\n"
    "                    base64 or PEM text, or as a file holding it\n"
    "  --timeout S       give up if the client's handshake takes more than S seconds\n"
    "                    from its arrival (fractions allowed; 0: wait forever;\n"
    "                    default 10); waiting for a client has no limit\n" COMMON_OPTIONS_HELP
    COURSE_OPTIONS_HELP "\n" RELAY_HELP;

static const char connect_help[] =
    "usage: ssockets connect [OPTIONS] HOST PORT\n"
    "\n"
    "Connects to a listener on HOST:PORT (an IPv4 or IPv6 address, which may\n"
    "be written in brackets as [::1], or a host name), runs the handshake,\n"
    "then relays until both sides have closed.\n"
    "After the handshake it prints on standard error:\n"
    "  ssockets: connected, PROTOCOL, peer key KEY    (or: (no peer key))\n"
    "\n"
    "The client proposes the handshake:\n"
    "  (no key options)          NN: encrypted, nobody authenticated; a man in\n"
    "                            the middle can read and change everything\n"
    "  --peer KEY                NK: the server must hold the private half of KEY\n"
    "  --key FILE                XX: both sides authenticated (the server may\n"
    "                            check our key against its --allow list)\n"
    "  --key FILE --peer KEY     XX, and the server's key must be KEY\n"
    "With --hybrid, the hfs form of the same pattern: NNhfs, NKhfs or XXhfs.\n"
    "\n"
    "Options:\n"
    "  --key FILE        our private key (PEM, mode 0600)\n"
    "  --peer KEY|FILE   the server's public key, given as base64 or PEM text,\n"
    "                    or as a file holding it\n"
    "  --hybrid          propose the hybrid (post-quantum) form of the pattern:\n"
    "                    ML-KEM-768 beside X25519, so that recorded traffic\n"
    "                    stays secret even from a future quantum computer\n"
    "                    (authentication stays X25519); 2.3 KB more on the wire\n"
    "  --classic         propose the classical pattern (the default: every\n"
    "                    SSockets/1 server runs it, and the course's worked\n"
    "                    examples keep their bytes; see docs/cli.md)\n"
    "  --timeout S       give up if connecting and the handshake take more than S\n"
    "                    seconds (fractions allowed; 0: wait forever; default 10)\n"
    COMMON_OPTIONS_HELP COURSE_OPTIONS_HELP "\n" RELAY_HELP;

static const char genkey_help[] =
    "usage: ssockets genkey [--force] FILE\n"
    "\n"
    "Generates a new X25519 key pair, writes the private key to FILE as OpenSSL's\n"
    "PEM (PKCS#8) with mode 0600 (atomically: a temporary file, then a rename),\n"
    "and prints the public key as one line of base64: that line is what peers\n"
    "pass to --peer or list in an --allow file.\n"
    "\n"
    "Options:\n"
    "  --pem             accepted for older scripts: PEM is the only format\n"
    "  --force           replace FILE if it exists (without it, an existing FILE\n"
    "                    is an error and is left untouched)\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 written, 1 no random bytes or an I/O error, 2 usage error,\n"
    "3 key error (FILE exists, cannot be written).\n";

static const char pubkey_help[] =
    "usage: ssockets pubkey FILE\n"
    "\n"
    "Prints the public key, as one line of base64, of the private key in FILE\n"
    "(PEM). Like ssh, it refuses a private key file that group or others may\n"
    "read or write. A public key in FILE is refused: it already is the answer.\n"
    "\n"
    "Options:\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0, 1 an I/O error, 2 usage error, 3 key error.\n";

static const char convert_key_help[] =
    "usage: ssockets convert-key FILE\n"
    "\n"
    "ssockets 0.1 wrote private keys as one line of base64, the form public keys\n"
    "have; this version reads private keys only as PEM, so that the two cannot\n"
    "be mixed up. convert-key reads such a FILE (it must have mode 0600, as\n"
    "0.1 wrote it), rewrites it in place as PEM (PKCS#8, mode 0600,\n"
    "atomically) and prints its public key, which is unchanged. Run it only on\n"
    "a file you know to be a private key: nothing in one line of base64 tells a\n"
    "private key from a public one.\n"
    "\n"
    "Options:\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 converted, 1 an I/O error, 2 usage error, 3 key error.\n";

static const char version_help[] =
    "usage: ssockets version\n"
    "\n"
    "Prints 'ssockets VERSION' (also: ssockets --version).\n";

/* ------------------------------------------------------------------ */
/* Failing: one line on stderr, one exit code.                         */
/* ------------------------------------------------------------------ */

/* Locked and never unlocked by whoever ends the process: if the other
 * relay thread ends it at the same moment, it waits while this one exits. */
static pthread_mutex_t only_once = PTHREAD_MUTEX_INITIALIZER;

void cli_quit(int code)
{
    pthread_mutex_lock(&only_once);
    exit(code);
}

void cli_fail(int code, const char *fmt, ...)
{
    pthread_mutex_lock(&only_once);

    va_list ap;
    va_start(ap, fmt);
    fputs("ssockets: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

/* One subcommand. */
typedef struct command command;

/* A usage error: names the command and points to its help. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
_Noreturn static void usage(const command *cmd, const char *fmt, ...);

/* ------------------------------------------------------------------ */
/* The command line.                                                   */
/* ------------------------------------------------------------------ */

/* The options, one bit each, so that a command can list those it takes. */
enum {
    OPT_KEY = 1 << 0,
    OPT_PEER = 1 << 1,
    OPT_ALLOW = 1 << 2,
    OPT_TIMEOUT = 1 << 3,
    OPT_TRACE = 1 << 4,
    OPT_PLAIN = 1 << 5,
    OPT_PEM = 1 << 6,
    OPT_FORCE = 1 << 7,
    OPT_TEST_EPHEMERAL = 1 << 8,
    OPT_FINGERPRINT = 1 << 9,
    OPT_HYBRID = 1 << 10,
    OPT_CLASSIC = 1 << 11,
    OPT_HYBRID_ONLY = 1 << 12,
    OPT_TEST_KEM = 1 << 13,
};

typedef struct {
    const char *name;
    int bit;
    int takes_value; /* "--name VALUE" or "--name=VALUE" */
} option_spec;

static const option_spec option_specs[] = {
    {"--key", OPT_KEY, 1},         {"--peer", OPT_PEER, 1},   {"--allow", OPT_ALLOW, 1},
    {"--timeout", OPT_TIMEOUT, 1}, {"--trace", OPT_TRACE, 0}, {"--plain", OPT_PLAIN, 0},
    {"--pem", OPT_PEM, 0},         {"--force", OPT_FORCE, 0},
    {"--test-ephemeral", OPT_TEST_EPHEMERAL, 1}, {"--fingerprint", OPT_FINGERPRINT, 0},
    {"--hybrid", OPT_HYBRID, 0},   {"--classic", OPT_CLASSIC, 0},
    {"--hybrid-only", OPT_HYBRID_ONLY, 0}, {"--test-kem", OPT_TEST_KEM, 1},
};

/* Everything a command line can say; NULL or 0 when not given. */
typedef struct {
    const char *key_file;   /* --key FILE */
    const char *peer;       /* --peer KEY|FILE */
    const char *allow_file; /* --allow FILE */
    const char *timeout;    /* --timeout S */
    const char *test_ephemeral_file; /* --test-ephemeral FILE */
    const char *test_kem_file; /* --test-kem FILE */
    int trace, plain, pem, force, fingerprint;
    int hybrid;             /* --hybrid 1, --classic 0 (the last one given wins) */
    int hybrid_only;        /* --hybrid-only */
    const char *operands[2]; /* HOST PORT, or FILE */
    int operand_count;
} options;

struct command {
    const char *name;
    int accepts;                   /* OPT_* bits */
    const char *operand_names[2];  /* what the operands are, for messages; NULL: none */
    const char *help;
    int (*run)(const command *cmd, const options *o);
};

static const option_spec *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof option_specs / sizeof option_specs[0]; i++) {
        if (strlen(option_specs[i].name) == len && memcmp(option_specs[i].name, name, len) == 0)
            return &option_specs[i];
    }
    return NULL;
}

static void set_option(options *o, int bit, const char *value)
{
    switch (bit) {
    case OPT_KEY: o->key_file = value; break;
    case OPT_PEER: o->peer = value; break;
    case OPT_ALLOW: o->allow_file = value; break;
    case OPT_TIMEOUT: o->timeout = value; break;
    case OPT_TRACE: o->trace = 1; break;
    case OPT_PLAIN: o->plain = 1; break;
    case OPT_PEM: o->pem = 1; break;
    case OPT_TEST_EPHEMERAL: o->test_ephemeral_file = value; break;
    case OPT_TEST_KEM: o->test_kem_file = value; break;
    case OPT_FINGERPRINT: o->fingerprint = 1; break;
    case OPT_HYBRID: o->hybrid = 1; break;
    case OPT_CLASSIC: o->hybrid = 0; break;
    case OPT_HYBRID_ONLY: o->hybrid_only = 1; break;
    default: o->force = 1; break; /* OPT_FORCE */
    }
}

static int operand_total(const command *cmd)
{
    return (cmd->operand_names[0] != NULL) + (cmd->operand_names[1] != NULL);
}

/* Options may come before or after the operands; "--" ends the options
 * (for a file name that starts with '-'); a later repeat of an option
 * replaces the earlier one. -h or --help prints the command's help. */
static void parse_options(options *o, const command *cmd, int argc, char **argv)
{
    int options_ended = 0;
    memset(o, 0, sizeof *o);

    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (options_ended || arg[0] != '-' || arg[1] == '\0') {
            if (o->operand_count == operand_total(cmd))
                usage(cmd, "unexpected argument '%s'", arg);
            o->operands[o->operand_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_ended = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(cmd->help, stdout);
            exit(0);
        }
        const char *equals = strchr(arg, '=');
        size_t name_len = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
        const option_spec *spec = find_option(arg, name_len);
        if (spec == NULL || (cmd->accepts & spec->bit) == 0)
            usage(cmd, "unknown option '%.*s'", (int)name_len, arg);

        const char *value = NULL;
        if (spec->takes_value && equals != NULL)
            value = equals + 1;
        else if (spec->takes_value && i + 1 < argc)
            value = argv[++i];
        else if (spec->takes_value)
            usage(cmd, "option %s needs a value", spec->name);
        else if (equals != NULL)
            usage(cmd, "option %s takes no value", spec->name);
        set_option(o, spec->bit, value);
    }
    if (o->operand_count < operand_total(cmd))
        usage(cmd, "missing %s", cmd->operand_names[o->operand_count]);
}

/* PORT: decimal, 1..65535; 0 too where a free port may be picked. */
static uint16_t parse_port(const command *cmd, const char *text, int zero_allowed)
{
    int lowest = zero_allowed ? 0 : 1;
    unsigned long port = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            usage(cmd, "invalid port '%s' (expected a number from %d to 65535)", text, lowest);
        port = port * 10 + (unsigned long)(*p - '0');
        if (port > 65535)
            usage(cmd, "invalid port '%s' (expected a number from %d to 65535)", text, lowest);
    }
    if (text[0] == '\0' || port < (unsigned long)lowest)
        usage(cmd, "invalid port '%s' (expected a number from %d to 65535)", text, lowest);
    return (uint16_t)port;
}

/* HOST: an IPv6 address may be written in brackets, "[::1]", as the
 * command prints it ("listening on [::1]:PORT"); the brackets go. The
 * text is copied into host, which has room for any name (NI_MAXHOST is
 * 1025). */
static const char *parse_host(const command *cmd, char host[1100], const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len >= 1100)
        usage(cmd, "invalid HOST '%.40s'", text);
    if (text[0] != '[')
        return text;
    if (len < 3 || text[len - 1] != ']' || strchr(text, ':') == NULL)
        usage(cmd, "invalid HOST '%s' (brackets hold an IPv6 address: [::1])", text);
    memcpy(host, text + 1, len - 2);
    host[len - 2] = '\0';
    return host;
}

/* --timeout S: seconds, with an optional fraction ("0.5"); 0 means wait
 * forever, which ss_config spells as a negative value. The text is checked
 * (a digit first, then only digits and at most one '.') before strtod,
 * which would also take "inf", "0x10", "-3" or " 5". The bound keeps the
 * milliseconds inside an int (2^31 ms is about 24 days). */
static int parse_timeout_ms(const command *cmd, const char *text)
{
    int valid = text[0] >= '0' && text[0] <= '9' && text[strspn(text, "0123456789.")] == '\0' &&
                strchr(text, '.') == strrchr(text, '.');
    double seconds = valid ? strtod(text, NULL) : -1.0;
    if (seconds < 0.0 || seconds > 2000000.0)
        usage(cmd, "invalid timeout '%s' (expected seconds, such as 5 or 0.5)", text);
    if (seconds == 0.0)
        return -1;
    long ms = (long)(seconds * 1000.0 + 0.5);
    return ms < 1 ? 1 : (int)ms; /* 0.0001 s is not "forever" */
}

/* ------------------------------------------------------------------ */
/* Keys.                                                               */
/* ------------------------------------------------------------------ */

/* The key material lives outside any function so that wipe_keys, run by
 * exit(), erases our private key on every way out of the program,
 * including the failures that end it from a relay thread. The public keys
 * are not secret. */
static ss_keypair our_key;
static ss_keypair test_ephemeral; /* --test-ephemeral: the course's fixed e */
static uint8_t test_kem[2400 + 32]; /* --test-kem: the course's fixed dk, then m */
static uint8_t peer_key[32];
static uint8_t (*allowed_keys)[32];
static size_t allowed_count;

static void wipe_keys(void)
{
    ss_keypair_wipe(&our_key);
    ss_keypair_wipe(&test_ephemeral);
    ss_wipe(test_kem, sizeof test_kem);
}

/* --peer KEY|FILE: a key written out (base64 or PEM) is tried first; a
 * 44-character base64 string is not a plausible file name, and a file name
 * is never valid base64 of 32 bytes plus padding. */
static void load_peer_key(const char *arg)
{
    if (ss_public_key_parse(peer_key, arg, strlen(arg)) == 0)
        return;
    /* PEM text that is not a public key, such as a private key pasted by
     * mistake: the parser's reason, never the text, which may be secret. */
    if (strncmp(arg, "-----", 5) == 0)
        cli_fail(EXIT_KEY, "--peer: %s", ss_last_error_message(NULL));
    struct stat st;
    if (stat(arg, &st) != 0 && errno == ENOENT)
        cli_fail(EXIT_KEY, "--peer '%s': neither a public key (base64 or PEM) nor an existing file",
                 arg);
    if (ss_public_key_load(peer_key, arg) != 0)
        cli_fail(EXIT_KEY, "--peer: %s", ss_last_error_message(NULL));
}

/* Removes leading and trailing white space in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                       s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

/* --allow FILE: one public key per line. Text after '#' is a comment (base64
 * never contains '#'), so a line can name its owner: "KEY  # alice". Errors
 * give the file and line, as a compiler would. */
static void load_allow_list(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        cli_fail(EXIT_KEY, "--allow '%s': %s", path, strerror(errno));
    /* The list says whom we trust: refused if others can write it (keys.h). */
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        cli_fail(EXIT_KEY, "--allow '%s': %s", path, strerror(errno));
    if (ss_trust_file_mode_ok(path, st.st_mode) != 0)
        cli_fail(EXIT_KEY, "--allow: %s", ss_last_error_message(NULL));

    char line[512];
    unsigned long line_no = 0;
    size_t capacity = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line_no++;
        if (strchr(line, '\n') == NULL && !feof(f))
            cli_fail(EXIT_KEY, "%s:%lu: line too long for a public key", path, line_no);
        char *comment = strchr(line, '#');
        if (comment != NULL)
            *comment = '\0';
        char *key = trim(line);
        if (key[0] == '\0')
            continue;
        if (allowed_count == capacity) {
            capacity = capacity == 0 ? 8 : capacity * 2;
            void *bigger = realloc(allowed_keys, capacity * sizeof allowed_keys[0]);
            if (bigger == NULL)
                cli_fail(EXIT_CONN, "out of memory reading '%s'", path);
            allowed_keys = bigger;
        }
        if (ss_public_key_parse(allowed_keys[allowed_count], key, strlen(key)) != 0)
            cli_fail(EXIT_KEY, "%s:%lu: not a public key (expected 44 characters of base64)",
                     path, line_no);
        allowed_count++;
    }
    if (ferror(f))
        cli_fail(EXIT_KEY, "--allow '%s': %s", path, strerror(errno));
    fclose(f);
    /* An empty list would refuse every client: surely not what was meant. */
    if (allowed_count == 0)
        cli_fail(EXIT_KEY, "--allow '%s': no public key in the file", path);
}

/* --test-kem FILE: exactly sizeof test_kem bytes in hex (either case),
 * whitespace anywhere between digit pairs; anything else is refused.
 * (Branches on the digits are fine here: these inputs are published.) */
static void load_test_kem(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        cli_fail(EXIT_KEY, "--test-kem: cannot open %s: %s", path, strerror(errno));
    size_t n = 0;
    int c, high = -1;
    while ((c = getc(f)) != EOF) {
        if (isspace(c) && high < 0)
            continue;
        int v = isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
        if (v < 0 || n == sizeof test_kem) {
            fclose(f);
            cli_fail(EXIT_KEY, "--test-kem: %s: %s", path,
                     v < 0 ? "not hex" : "more than 2,432 bytes (dk then m)");
        }
        if (high < 0) {
            high = v;
        } else {
            test_kem[n++] = (uint8_t)(high << 4 | v);
            high = -1;
        }
    }
    fclose(f);
    if (n != sizeof test_kem || high >= 0)
        cli_fail(EXIT_KEY, "--test-kem: %s: %zu bytes, not 2,432 (dk then m)", path, n);
}

static void print_public_key(const uint8_t public_key[32])
{
    char text[SS_KEY_BASE64_LEN];
    ss_public_key_format(text, public_key);
    if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
        cli_fail(EXIT_CONN, "writing standard output: %s", strerror(errno));
}

/* ------------------------------------------------------------------ */
/* listen and connect.                                                 */
/* ------------------------------------------------------------------ */

/* --trace: each line of the handshake's narration, marked so that it can
 * be told apart from our own messages. */
static void print_trace(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "trace: %s\n", line);
}

/* Turns the options into the configuration that decides the pattern
 * (conn.h): which keys are set is the whole choice. */
static void make_config(ss_config *cfg, const command *cmd, const options *o, int is_server)
{
    memset(cfg, 0, sizeof *cfg);

    if (o->plain && (o->key_file != NULL || o->peer != NULL || o->allow_file != NULL ||
                     o->test_ephemeral_file != NULL || o->test_kem_file != NULL))
        usage(cmd, "--plain has no handshake, so it takes no keys");
    if (o->plain && o->fingerprint)
        usage(cmd, "--plain has no handshake, so it has no fingerprint");
    if (o->plain && (o->hybrid || o->hybrid_only))
        usage(cmd, "--plain has no handshake, so it cannot be hybrid");
    if (is_server && o->allow_file != NULL && o->key_file == NULL)
        usage(cmd, "--allow needs --key: only XX authenticates a client, and XX needs our key");
    if (is_server && o->peer != NULL && o->key_file == NULL)
        usage(cmd, "--peer needs --key: only XX authenticates a client, and XX needs our key");
    if (o->timeout != NULL)
        cfg->handshake_timeout_ms = parse_timeout_ms(cmd, o->timeout);
    /* The client proposes the hfs form of its pattern; a hybrid-only
     * server accepts nothing else (engine.h). */
    cfg->hybrid = o->hybrid_only ? SS_HYBRID_ONLY : o->hybrid;

    if (o->key_file != NULL) {
        if (ss_keypair_load(&our_key, o->key_file) != 0)
            cli_fail(EXIT_KEY, "--key: %s", ss_last_error_message(NULL));
        cfg->static_key = &our_key;
    }
    if (o->peer != NULL) {
        load_peer_key(o->peer);
        cfg->peer_public_key = peer_key;
    }
    if (o->allow_file != NULL) {
        load_allow_list(o->allow_file);
        cfg->allowed_keys = (const uint8_t(*)[32])allowed_keys;
        cfg->allowed_count = allowed_count;
    }
    if (o->test_ephemeral_file != NULL) {
        if (ss_keypair_load(&test_ephemeral, o->test_ephemeral_file) != 0)
            cli_fail(EXIT_KEY, "--test-ephemeral: %s", ss_last_error_message(NULL));
        fputs("ssockets: warning: --test-ephemeral: a fixed ephemeral key; no forward secrecy, "
              "every session identical; for the course's worked examples only\n",
              stderr);
        cfg->test_ephemeral = &test_ephemeral;
    }
    if (o->test_kem_file != NULL) {
        load_test_kem(o->test_kem_file);
        fputs("ssockets: warning: --test-kem: fixed ML-KEM inputs; no forward secrecy against "
              "a quantum attacker, every session identical; for the course's worked examples "
              "only\n",
              stderr);
        cfg->test_kem_dk = test_kem;
        cfg->test_kem_m = test_kem + 2400;
    }
    if (o->trace) {
        fputs("ssockets: warning: --trace prints the handshake's secret keys; for learning only\n",
              stderr);
        cfg->trace = print_trace;
    }
    if (o->plain) {
        fputs("ssockets: warning: --plain: no handshake, no encryption; anyone on the path can "
              "read and change the data\n",
              stderr);
        cfg->plain = 1;
    }
}

/* "ssockets: connected, Noise_XX_25519_ChaChaPoly_SHA256, peer key <base64>":
 * the peer key is the one the handshake authenticated — compare it with
 * the one you expect. */
static void announce(const ss_conn *c)
{
    const uint8_t *their_key = ss_peer_public_key(c);
    if (their_key == NULL) {
        fprintf(stderr, "ssockets: connected, %s, (no peer key)\n", ss_protocol_name(c));
        return;
    }
    char text[SS_KEY_BASE64_LEN];
    ss_public_key_format(text, their_key);
    fprintf(stderr, "ssockets: connected, %s, peer key %s\n", ss_protocol_name(c), text);
}

/* --fingerprint: "ssockets: fingerprint 2b9e 23b2 ..." — the first 16 bytes
 * of the handshake hash h, which both ends compute from the whole
 * transcript (Noise §11.2, channel binding). A man in the middle runs two
 * handshakes, one with each side, and their h differ: reading the two
 * lines to each other over the phone exposes him, even in NN. Why 16
 * bytes and not 4: the attacker chooses his ephemeral keys, so he can try
 * keys until his two sessions' fingerprints agree; that costs him about
 * 2^(8n) tries for n bytes, 2^128 here (docs/handshake.md, section 9). */
static void print_fingerprint(const ss_conn *c)
{
    uint8_t h[32];
    ss_handshake_hash(h, c);
    fputs("ssockets: fingerprint", stderr);
    for (int i = 0; i < 16; i += 2)
        fprintf(stderr, " %02x%02x", h[i], h[i + 1]);
    fputc('\n', stderr);
}

static int run_listen(const command *cmd, const options *o)
{
    char host_buf[1100];
    const char *host = parse_host(cmd, host_buf, o->operands[0]);
    uint16_t port = parse_port(cmd, o->operands[1], 1);
    ss_config cfg;
    make_config(&cfg, cmd, o, 1);

    /* ss_listen, then ss_accept, rather than ss_server: the port (chosen
     * by the system when PORT is 0) is known, and printed, before a client
     * arrives — scripts wait for this line. */
    ss_listener *listener = ss_listen(host, port, &cfg);
    if (listener == NULL)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(NULL));
    /* An IPv6 address is bracketed, so that the port stays readable. */
    const char *open = strchr(host, ':') != NULL ? "[" : "";
    const char *close = strchr(host, ':') != NULL ? "]" : "";
    fprintf(stderr, "ssockets: listening on %s%s%s:%u\n", open, host, close,
            (unsigned)ss_listener_port(listener));

    ss_conn *c = ss_accept(listener); /* one client, like netcat */
    ss_listener_close(listener);
    if (c == NULL)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(NULL));
    announce(c);
    if (o->fingerprint)
        print_fingerprint(c);
    return cli_relay(c);
}

static int run_connect(const command *cmd, const options *o)
{
    char host_buf[1100];
    const char *host = parse_host(cmd, host_buf, o->operands[0]);
    uint16_t port = parse_port(cmd, o->operands[1], 0);
    ss_config cfg;
    make_config(&cfg, cmd, o, 0);

    ss_conn *c = ss_client(host, port, &cfg);
    if (c == NULL)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(NULL));
    announce(c);
    if (o->fingerprint)
        print_fingerprint(c);
    return cli_relay(c);
}

/* ------------------------------------------------------------------ */
/* genkey and pubkey.                                                  */
/* ------------------------------------------------------------------ */

static int run_genkey(const command *cmd, const options *o)
{
    (void)cmd;
    const char *path = o->operands[0];
    if (ss_keypair_generate(&our_key) != 0)
        cli_fail(EXIT_CONN, "%s", ss_last_error_message(NULL));

    int flags = SS_KEY_PEM; /* --pem, which chose it once, is the default now */
    if (o->force)
        flags |= SS_KEY_OVERWRITE;
    if (ss_keypair_save(&our_key, path, flags) != 0) {
        int exists = ss_last_error(NULL) == SS_ERR_KEY_EXISTS;
        cli_fail(EXIT_KEY, "%s%s", ss_last_error_message(NULL),
                 exists ? "; use --force to replace it" : "");
    }
    print_public_key(our_key.public_key);
    return 0;
}

static int run_pubkey(const command *cmd, const options *o)
{
    (void)cmd;
    if (ss_keypair_load(&our_key, o->operands[0]) != 0)
        cli_fail(EXIT_KEY, "%s", ss_last_error_message(NULL));
    print_public_key(our_key.public_key);
    return 0;
}

/* convert-key FILE: the file was written by ssockets 0.1 as one line of
 * base64; read it as a private key (the user says it is one) and write it
 * back as PEM, in place. */
static int run_convert_key(const command *cmd, const options *o)
{
    (void)cmd;
    const char *path = o->operands[0];
    if (ss_keypair_load_base64(&our_key, path) != 0)
        cli_fail(EXIT_KEY, "%s", ss_last_error_message(NULL));
    if (ss_keypair_save(&our_key, path, SS_KEY_PEM | SS_KEY_OVERWRITE) != 0)
        cli_fail(EXIT_KEY, "%s", ss_last_error_message(NULL));
    print_public_key(our_key.public_key);
    return 0;
}

static int run_version(const command *cmd, const options *o)
{
    (void)cmd;
    (void)o;
    if (printf("ssockets %s\n", SS_VERSION) < 0 || fflush(stdout) != 0)
        cli_fail(EXIT_CONN, "writing standard output: %s", strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch.                                                           */
/* ------------------------------------------------------------------ */

static const command commands[] = {
    {"listen",
     OPT_KEY | OPT_PEER | OPT_ALLOW | OPT_TIMEOUT | OPT_TRACE | OPT_PLAIN | OPT_TEST_EPHEMERAL |
         OPT_FINGERPRINT | OPT_HYBRID_ONLY | OPT_TEST_KEM,
     {"HOST", "PORT"}, listen_help, run_listen},
    {"connect",
     OPT_KEY | OPT_PEER | OPT_TIMEOUT | OPT_TRACE | OPT_PLAIN | OPT_TEST_EPHEMERAL |
         OPT_FINGERPRINT | OPT_HYBRID | OPT_CLASSIC | OPT_TEST_KEM,
     {"HOST", "PORT"}, connect_help, run_connect},
    {"genkey", OPT_PEM | OPT_FORCE, {"FILE", NULL}, genkey_help, run_genkey},
    {"pubkey", 0, {"FILE", NULL}, pubkey_help, run_pubkey},
    {"convert-key", 0, {"FILE", NULL}, convert_key_help, run_convert_key},
    {"version", 0, {NULL, NULL}, version_help, run_version},
};

static void usage(const command *cmd, const char *fmt, ...)
{
    char problem[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    if (cmd == NULL)
        cli_fail(EXIT_USAGE, "%s (try 'ssockets --help')", problem);
    cli_fail(EXIT_USAGE, "%s: %s (try 'ssockets %s --help')", cmd->name, problem, cmd->name);
}

int main(int argc, char **argv)
{
    /* Writing to a closed pipe or socket must be an error we report, not a
     * signal that kills us without a word (the library also sends with
     * MSG_NOSIGNAL; this covers standard output). */
    signal(SIGPIPE, SIG_IGN);
    atexit(wipe_keys);

    if (argc < 2)
        usage(NULL, "missing command");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(main_help, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        argv[1] = "version";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            options o;
            parse_options(&o, &commands[i], argc - 2, argv + 2);
            return commands[i].run(&commands[i], &o);
        }
    }
    usage(NULL, "unknown command '%s'", argv[1]);
}
