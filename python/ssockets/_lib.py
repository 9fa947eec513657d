"""
_lib.py -- finding libssockets.so and declaring the C functions to ctypes.

The package is pure Python: every call goes through ctypes into the C
library, so the cryptography is the hand-written C of src/crypto and
src/net. ctypes releases the GIL around every foreign call made through a
CDLL, so a thread blocked in ss_recv or ss_accept lets the others run.

Where the library is looked for, in this order:
  1. $SSOCKETS_LIBRARY, a path to a libssockets.so;
  2. the source tree's build/libssockets.so, when this package is imported
     from a checkout (python/ssockets beside src/ssockets.h);
  3. the installed libssockets.so.0, through the dynamic linker's search
     (LD_LIBRARY_PATH, ld.so.cache), then in the directory `make install`
     recorded in _installed.py.
"""

import ctypes
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libssockets.so.0"


def _candidates():
    """(description, path) pairs, in the order they are tried."""
    found = []
    env = os.environ.get("SSOCKETS_LIBRARY")
    if env:
        found.append(("$SSOCKETS_LIBRARY", env))
    root = os.path.dirname(os.path.dirname(HERE))
    if os.path.exists(os.path.join(root, "src", "ssockets.h")):
        found.append(("the source tree's build", os.path.join(root, "build", "libssockets.so")))
    found.append(("the installed library", SONAME))
    try:
        from . import _installed  # written by `make install`
        found.append(("the installed library", os.path.join(_installed.LIBDIR, SONAME)))
    except ImportError:
        pass
    return found


def _load():
    tried = []
    for what, path in _candidates():
        try:
            return ctypes.CDLL(path, use_errno=True), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, what, e))
    root = os.path.dirname(os.path.dirname(HERE))
    build = "make -C %s" % root if os.path.exists(os.path.join(root, "Makefile")) else "make"
    raise ImportError(
        "ssockets: cannot load the C library libssockets.so. Tried:\n  "
        + "\n  ".join(tried)
        + "\nBuild it with `%s` (or install it with `make install`), or set "
        "SSOCKETS_LIBRARY to the path of a libssockets.so." % build)


lib, path = _load()


# ---------------------------------------------------------------- types

class ss_keypair(ctypes.Structure):
    """src/net/keys.h: ss_keypair."""
    _fields_ = [("secret_key", ctypes.c_uint8 * 32),
                ("public_key", ctypes.c_uint8 * 32)]


TRACE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class ss_config(ctypes.Structure):
    """The one Python mirror of ss_config in src/net/engine.h: the same fields,
    in the same order. When engine.h changes it, change this class, and only it.

    A field appended to the C struct that is not mirrored here yet reads as
    zero (see new_config), which engine.h defines as the default of every
    field; so a library with a longer struct still gets a valid config."""
    _fields_ = [
        ("static_key", ctypes.POINTER(ss_keypair)),
        ("peer_public_key", ctypes.POINTER(ctypes.c_uint8)),
        ("allowed_keys", ctypes.POINTER(ctypes.c_uint8 * 32)),
        ("allowed_count", ctypes.c_size_t),
        ("handshake_timeout_ms", ctypes.c_int),
        ("io_timeout_ms", ctypes.c_int),
        ("trace", TRACE_FN),
        ("trace_arg", ctypes.c_void_p),
        ("plain", ctypes.c_int),
        ("test_ephemeral", ctypes.POINTER(ss_keypair)),
        ("send_timeout_ms", ctypes.c_int),
        ("keepalive_s", ctypes.c_int),
        ("hybrid", ctypes.c_int),
    ]


# Zero bytes after the mirrored struct, for fields a newer engine.h appends.
_CONFIG_SLACK = 256


def new_config():
    """A zeroed ss_config followed by zeroed slack; returns (config, owner):
    keep owner alive as long as the config is used."""
    owner = ctypes.create_string_buffer(ctypes.sizeof(ss_config) + _CONFIG_SLACK)
    return ss_config.from_buffer(owner), owner


# ---------------------------------------------------------------- functions

c_conn_p = ctypes.c_void_p
c_listener_p = ctypes.c_void_p
u8p = ctypes.POINTER(ctypes.c_uint8)


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    globals()[name] = f


_declare("ss_client", c_conn_p, ctypes.c_char_p, ctypes.c_uint16, ctypes.POINTER(ss_config))
_declare("ss_server", c_conn_p, ctypes.c_char_p, ctypes.c_uint16, ctypes.POINTER(ss_config))
_declare("ss_listen", c_listener_p, ctypes.c_char_p, ctypes.c_uint16, ctypes.POINTER(ss_config))
_declare("ss_listener_port", ctypes.c_uint16, c_listener_p)
_declare("ss_accept", c_conn_p, c_listener_p)
_declare("ss_listener_close", None, c_listener_p)
_declare("ss_send", ctypes.c_int, c_conn_p, ctypes.c_void_p, ctypes.c_size_t)
_declare("ss_recv", ctypes.c_ssize_t, c_conn_p, ctypes.c_void_p, ctypes.c_size_t)
_declare("ss_message_done", ctypes.c_int, c_conn_p)
_declare("ss_peer_closed", ctypes.c_int, c_conn_p)
_declare("ss_shutdown", ctypes.c_int, c_conn_p)
_declare("ss_close", ctypes.c_int, c_conn_p)
_declare("ss_peer_public_key", u8p, c_conn_p)
_declare("ss_protocol_name", ctypes.c_char_p, c_conn_p)
_declare("ss_handshake_hash", None, ctypes.c_uint8 * 32, c_conn_p)

_declare("ss_strerror", ctypes.c_char_p, ctypes.c_int)
_declare("ss_last_error", ctypes.c_int, c_conn_p)
_declare("ss_last_error_message", ctypes.c_char_p, c_conn_p)

_declare("ss_keypair_generate", ctypes.c_int, ctypes.POINTER(ss_keypair))
_declare("ss_keypair_from_secret", None, ctypes.POINTER(ss_keypair), ctypes.c_uint8 * 32)
_declare("ss_keypair_save", ctypes.c_int, ctypes.POINTER(ss_keypair), ctypes.c_char_p,
         ctypes.c_int)
_declare("ss_keypair_load", ctypes.c_int, ctypes.POINTER(ss_keypair), ctypes.c_char_p)
_declare("ss_public_key_load", ctypes.c_int, ctypes.c_uint8 * 32, ctypes.c_char_p)
_declare("ss_public_key_parse", ctypes.c_int, ctypes.c_uint8 * 32, ctypes.c_char_p,
         ctypes.c_size_t)
_declare("ss_public_key_format", None, ctypes.c_char * 45, ctypes.c_uint8 * 32)
_declare("ss_keypair_wipe", None, ctypes.POINTER(ss_keypair))

# src/net/keys.h
SS_KEY_PEM = 1
SS_KEY_OVERWRITE = 0x100
