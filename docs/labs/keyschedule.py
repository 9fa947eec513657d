#!/usr/bin/env python3
"""keyschedule.py -- the XX key schedule of a real session, drawn.

    sh docs/keys/session.sh xx | python3 docs/labs/keyschedule.py          ASCII
    sh docs/keys/session.sh xx | python3 docs/labs/keyschedule.py --svg    SVG

Reads the client's trace lines of one session (docs/keys/session.sh prints
them) and draws three columns: the secret chain of ck (each MixKey), the
public chain of h (each MixHash), and every field the client sent or
received, with the key k, the nonce n and the associated data h that sealed
it. Nothing is computed here: every value is copied from the trace, cut to
its first 8 hex digits. docs/handshake.md shows the ASCII output, and
docs/keyschedule.svg is the --svg output (tests/test_labs.sh checks that the
file is what this program draws now).
"""
import re
import sys


def short(value):
    return value[:8]


def rows_from_trace(lines):
    """One row per event: (ck text, h text, field text)."""
    rows = []
    h = ck = k = None
    n = 0
    ck_index = h_index = 0
    message = ""
    hashed = "prologue"       # what the next MixHash takes in
    for line in lines:
        m = re.match(r"^client: initiator (.*)$", line)
        if not m:
            continue
        text = m.group(1)
        mm = re.match(r"^(->|<-) msg (\d) (write|read): (.*)$", text)
        if mm:
            number = "msg %s %s" % (mm.group(2), "sent" if mm.group(1) == "->" else "received")
            if number != message:
                message = number
                rows.append(("", "", "=== %s ===" % number))
            text = mm.group(4)
        elif text.startswith("setup: "):
            text = text[len("setup: "):]
        elif text.startswith("end: "):
            text = text[len("end: "):]
        if text.startswith("InitializeSymmetric: h = ck = "):
            h = ck = text.split(" = ")[-1]
            rows.append(("ck0 = protocol name", "h0 = protocol name", ""))
        elif text.startswith("MixHash: h = "):
            h = text.split(" = ")[-1]
            h_index += 1
            rows.append(("", "h%d = H(h%d, %s) = %s" % (h_index, h_index - 1, hashed, short(h)),
                         ""))
        elif text.startswith("token e: e.pub = ") or text.startswith("token e: re = "):
            rows.append(("", "", "e (32 bytes, in clear)"))
            hashed = "e"
        elif text.startswith("token ") and "DH(" in text:
            token = text.split(":")[0].split()[1]
            dh = re.search(r"(DH\([^)]*\))", text).group(1)
            rows.append(("%s = %s = %s" % (token, dh, short(text.split(" = ")[-1])), "", ""))
        elif text.startswith("MixKey: "):
            m2 = re.match(r"^MixKey: ck = ([0-9a-f]+), k = ([0-9a-f]+)$", text)
            ck, k, n = m2.group(1), m2.group(2), 0
            ck_index += 1
            rows.append(("ck%d = %s, k = %s" % (ck_index, short(ck), short(k)), "", ""))
        elif re.match(r"^(Encrypt|Decrypt)AndHash\((\w|\.)+\): ", text):
            what = re.match(r"^\w+\(([\w.]+)\)", text).group(1)
            what = "s" if what.startswith("s") else "payload"
            size = re.search(r"(\d+) bytes of ciphertext", text)
            hashed = "c" if k is not None else "\"\""
            if k is None:
                rows.append(("", "", "%s (0 bytes, in clear: no k yet)" % what))
            else:
                rows.append(("", "", "%s (%s bytes) sealed with k = %s, n = %d, ad = h%d"
                             % (what, size.group(1), short(k), n, h_index)))
                n += 1
        elif text.startswith("Split: "):
            m2 = re.match(r"^Split: k1 = ([0-9a-f]+), k2 = ([0-9a-f]+)$", text)
            rows.append(("", "", "=== Split ==="))
            rows.append(("k1 = %s (client -> server)" % short(m2.group(1)), "", ""))
            rows.append(("k2 = %s (server -> client)" % short(m2.group(2)), "", ""))
        elif text.startswith("handshake hash: h = "):
            rows.append(("", "h = h%d = %s (handshake hash)" % (h_index, short(h)), ""))
    return rows


WIDTHS = (38, 32)


def ascii(rows):
    out = ["%-*s%-*s%s" % (WIDTHS[0], "ck chain (secret)", WIDTHS[1], "h chain (public)",
                           "fields on the wire and what sealed them")]
    out.append("%-*s%-*s%s" % (WIDTHS[0], "-" * 17, WIDTHS[1], "-" * 16, "-" * 39))
    for ck, h, field in rows:
        if field.startswith("==="):
            out.append(field)
            continue
        out.append(("%-*s%-*s%s" % (WIDTHS[0], ck, WIDTHS[1], h, field)).rstrip())
    return "\n".join(out) + "\n"


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(rows):
    line_h, top, left = 20, 50, 10
    xs = (left, left + 320, left + 630)
    # The chains' arrows run in a lane of their own at the left of each
    # column, and the values are written to its right (indent), so that no
    # arrow crosses a label (the DH results sit between two links of ck).
    lane, indent = 6, 18
    width = 1130
    height = top + line_h * (len(rows) + 1)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="monospace" font-size="13">' % (width, height),
           '<title>The key schedule of a real Noise_XX session (SSockets)</title>',
           '<rect width="100%" height="100%" fill="white"/>',
           '<rect x="%d" y="10" width="305" height="%d" fill="#fdecea"/>' % (xs[0] - 5, height - 20),
           '<rect x="%d" y="10" width="300" height="%d" fill="#eaf2fd"/>' % (xs[1] - 5, height - 20)]
    heads = ("ck chain (secret)", "h chain (public)", "fields on the wire and what sealed them")
    for x, head in zip(xs, heads):
        out.append('<text x="%d" y="30" font-weight="bold">%s</text>' % (x, esc(head)))
    y = top
    last = [None, None]
    for ck, h, field in rows:
        if field.startswith("==="):
            out.append('<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#888"/>'
                       % (y - 14, width, y - 14))
            out.append('<text x="%d" y="%d" font-weight="bold">%s</text>'
                       % (xs[2], y, esc(field.strip("= "))))
        for col, text in ((0, ck), (1, h)):
            if text:
                # The chains: an arrow from the previous ck (or h) to the
                # next; a DH result and k2 are not links of a chain.
                link = col == 1 or text.startswith(("ck", "k1"))
                if link and last[col] is not None:
                    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black" '
                               'marker-end="url(#a)"/>' % (xs[col] + lane, last[col] - 4,
                                                           xs[col] + lane, y - 4))
                weight = ' fill="#9a3412"' if text[:2] in ("ee", "es", "se") else ""
                out.append('<text x="%d" y="%d"%s>%s</text>'
                           % (xs[col] + indent, y, weight, esc(text)))
                if link:
                    last[col] = y
        if field and not field.startswith("==="):
            out.append('<text x="%d" y="%d">%s</text>' % (xs[2], y, esc(field)))
        y += line_h
    out.insert(1, '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="8" refY="4" '
                  'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="black"/></marker></defs>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def main():
    rows = rows_from_trace(sys.stdin.read().split("\n"))
    if not rows:
        sys.exit("keyschedule.py: no client trace lines on standard input")
    sys.stdout.write(svg(rows) if "--svg" in sys.argv[1:] else ascii(rows))


if __name__ == "__main__":
    main()
