"""
_lib.py -- finding libssockets.so and declaring the C functions to ctypes.

The package is pure Python: every call goes through ctypes into the C
library, so the cryptography is the hand-written C of src/crypto and
src/net. ctypes releases the GIL around every foreign call made through a
CDLL, so a thread blocked in ss_recv_wait or ss_accept lets the others run.

Where the library is looked for, in this order (the first that loads wins):
  1. $SSOCKETS_LIBRARY, a path to a libssockets.so;
  2. the source tree's build/libssockets.so, when this package is imported
     from a checkout (python/ssockets beside src/ssockets.h);
  3. the library installed with this package: the copy `pip install`
     compiled and put inside it (libssockets.so.0 beside this file), or the
     directory `make install` recorded in _installed.py;
  4. the dynamic linker's search for libssockets.so.0 (LD_LIBRARY_PATH,
     ld.so.cache).
The installed copy comes before the linker's search, so that a package
loads the library it was installed with even when another prefix holds an
older one that the linker would find first.
"""

import ctypes
import importlib
import os
from typing import Any, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SONAME = "libssockets.so.0"
ROOT = os.path.dirname(os.path.dirname(HERE))


def _in_checkout() -> bool:
    return os.path.exists(os.path.join(ROOT, "src", "ssockets.h"))


def _installed_libdir() -> Optional[str]:
    try:
        # _installed.py is written by `make install`.
        installed = importlib.import_module(__name__.rsplit(".", 1)[0] + "._installed")
    except ImportError:
        return None
    return str(installed.LIBDIR)


def _candidates() -> List[Tuple[str, str]]:
    """(description, path) pairs, in the order they are tried."""
    found = []
    env = os.environ.get("SSOCKETS_LIBRARY")
    if env:
        found.append(("$SSOCKETS_LIBRARY", env))
    if _in_checkout():
        found.append(("the source tree's build", os.path.join(ROOT, "build", "libssockets.so")))
    bundled = os.path.join(HERE, SONAME)
    if os.path.exists(bundled):
        found.append(("the copy installed with the package", bundled))
    libdir = _installed_libdir()
    if libdir is not None:
        found.append(("the directory make install recorded", os.path.join(libdir, SONAME)))
    found.append(("the dynamic linker's search", SONAME))
    return found


def _next_step() -> str:
    """The one thing to do, for the case at hand."""
    if os.environ.get("SSOCKETS_LIBRARY"):
        return ("SSOCKETS_LIBRARY names a file that does not load: point it at a built "
                "libssockets.so, or unset it.")
    if _in_checkout():
        return "Build the library: `make -C %s`." % ROOT
    libdir = _installed_libdir()
    if libdir is not None:
        return ("`make install` put the package here and the library in %s, which no longer "
                "holds it: run `make install` again from the checkout." % libdir)
    return ("This package was installed without its library: reinstall it from a checkout "
            "with `pip install ./python` (which compiles libssockets.so into the package), "
            "or set SSOCKETS_LIBRARY to the path of a libssockets.so.")


def _load() -> Tuple[ctypes.CDLL, str]:
    tried = []
    for what, path in _candidates():
        try:
            return ctypes.CDLL(path, use_errno=True), path
        except OSError as e:
            tried.append("%s (%s): %s" % (path, what, e))
    raise ImportError("ssockets: cannot load the C library libssockets.so. Tried, in order:\n  "
                      + "\n  ".join(tried) + "\n" + _next_step())


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
        ("test_kem_dk", ctypes.POINTER(ctypes.c_uint8)),
        ("test_kem_m", ctypes.POINTER(ctypes.c_uint8)),
    ]


# Zero bytes after the mirrored struct, for fields a newer engine.h appends.
_CONFIG_SLACK = 256


def new_config() -> Tuple[ss_config, Any]:
    """A zeroed ss_config followed by zeroed slack; returns (config, owner):
    keep owner alive as long as the config is used."""
    owner = ctypes.create_string_buffer(ctypes.sizeof(ss_config) + _CONFIG_SLACK)
    return ss_config.from_buffer(owner), owner


# ---------------------------------------------------------------- functions

c_conn_p = ctypes.c_void_p
c_listener_p = ctypes.c_void_p
u8p = ctypes.POINTER(ctypes.c_uint8)


def _declare(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_cfg_p = ctypes.POINTER(ss_config)
_kp_p = ctypes.POINTER(ss_keypair)
_key32 = ctypes.c_uint8 * 32

ss_client = _declare("ss_client", c_conn_p, ctypes.c_char_p, ctypes.c_uint16, _cfg_p)
ss_client_nonblocking = _declare("ss_client_nonblocking", ctypes.c_int, ctypes.c_char_p,
                                 ctypes.c_uint16, _cfg_p, ctypes.POINTER(c_conn_p))
ss_server = _declare("ss_server", c_conn_p, ctypes.c_char_p, ctypes.c_uint16, _cfg_p)
ss_listen = _declare("ss_listen", c_listener_p, ctypes.c_char_p, ctypes.c_uint16, _cfg_p)
ss_listener_port = _declare("ss_listener_port", ctypes.c_uint16, c_listener_p)
ss_listener_fd = _declare("ss_listener_fd", ctypes.c_int, c_listener_p)
ss_accept = _declare("ss_accept", c_conn_p, c_listener_p)
ss_accept_nonblocking = _declare("ss_accept_nonblocking", ctypes.c_int, c_listener_p,
                                 ctypes.POINTER(c_conn_p))
ss_listener_shutdown = _declare("ss_listener_shutdown", None, c_listener_p)
ss_listener_close = _declare("ss_listener_close", None, c_listener_p)
ss_send = _declare("ss_send", ctypes.c_int, c_conn_p, ctypes.c_void_p, ctypes.c_size_t)
ss_recv = _declare("ss_recv", ctypes.c_ssize_t, c_conn_p, ctypes.c_void_p, ctypes.c_size_t)
ss_recv_wait = _declare("ss_recv_wait", ctypes.c_ssize_t, c_conn_p, ctypes.c_void_p,
                        ctypes.c_size_t, ctypes.c_int)
ss_message_done = _declare("ss_message_done", ctypes.c_int, c_conn_p)
ss_peer_closed = _declare("ss_peer_closed", ctypes.c_int, c_conn_p)
ss_shutdown = _declare("ss_shutdown", ctypes.c_int, c_conn_p)
ss_flush = _declare("ss_flush", ctypes.c_int, c_conn_p)
ss_close = _declare("ss_close", ctypes.c_int, c_conn_p)
ss_conn_fd = _declare("ss_conn_fd", ctypes.c_int, c_conn_p)
ss_conn_set_nonblocking = _declare("ss_conn_set_nonblocking", ctypes.c_int, c_conn_p,
                                   ctypes.c_int)
ss_conn_handshake = _declare("ss_conn_handshake", ctypes.c_int, c_conn_p)
ss_peer_public_key = _declare("ss_peer_public_key", u8p, c_conn_p)
ss_protocol_name = _declare("ss_protocol_name", ctypes.c_char_p, c_conn_p)
ss_handshake_hash = _declare("ss_handshake_hash", None, _key32, c_conn_p)

ss_strerror = _declare("ss_strerror", ctypes.c_char_p, ctypes.c_int)
ss_last_error = _declare("ss_last_error", ctypes.c_int, c_conn_p)
ss_last_error_message = _declare("ss_last_error_message", ctypes.c_char_p, c_conn_p)

ss_keypair_generate = _declare("ss_keypair_generate", ctypes.c_int, _kp_p)
ss_keypair_from_secret = _declare("ss_keypair_from_secret", None, _kp_p, _key32)
ss_keypair_save = _declare("ss_keypair_save", ctypes.c_int, _kp_p, ctypes.c_char_p,
                           ctypes.c_int)
ss_keypair_load = _declare("ss_keypair_load", ctypes.c_int, _kp_p, ctypes.c_char_p)
ss_public_key_load = _declare("ss_public_key_load", ctypes.c_int, _key32, ctypes.c_char_p)
ss_public_key_parse = _declare("ss_public_key_parse", ctypes.c_int, _key32, ctypes.c_char_p,
                               ctypes.c_size_t)
ss_public_key_format = _declare("ss_public_key_format", None, ctypes.c_char * 45, _key32)
ss_keypair_wipe = _declare("ss_keypair_wipe", None, _kp_p)

# src/net/engine.h: "would block"
SS_WANT_READ = -2
SS_WANT_WRITE = -3

# src/net/keys.h
SS_KEY_PEM = 1
SS_KEY_OVERWRITE = 0x100
