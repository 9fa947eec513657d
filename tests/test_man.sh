#!/bin/sh
# test_man.sh — the manual page man/ssockets.1 and the bash completion
# completion/ssockets.bash, against the command itself.
#
# Checked: `man -l` renders the page without a warning (groff's -ww too);
# it has the sections of a manual page (NAME, SYNOPSIS, DESCRIPTION,
# OPTIONS, EXIT STATUS, ENVIRONMENT with SSOCKETS_KEYLOGFILE and SS_CPU,
# FILES, EXAMPLES, SEE ALSO); every command and every option that
# `ssockets --help` and `ssockets COMMAND --help` name appears in it, and
# its version is the Makefile's. The completion, loaded into bash, offers
# every command, each command's options as its --help lists them, and key
# files after --key.
#
# Run by tests/run.sh with SS_BUILD set (POSIX sh). man and groff come with
# Debian's man-db (tests/deps.sh).
set -u
build=${SS_BUILD:-build}
ss=$build/ssockets
page=man/ssockets.1
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
for tool in man groff bash; do
    command -v $tool >/dev/null 2>&1 || { echo "not ok - $tool is missing (tests/deps.sh)"; exit 1; }
done
[ -x "$ss" ] || { echo "not ok - $ss is missing (make)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ssockets-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---- rendering
MANWIDTH=80 man --warnings -l "$page" >"$tmp/page" 2>"$tmp/warnings"
if [ $? -eq 0 ] && [ ! -s "$tmp/warnings" ] && [ -s "$tmp/page" ] &&
    [ -z "$(groff -t -man -ww -z "$page" 2>&1)" ]; then
    ok "man -l renders $page without a warning"
else
    not_ok "man -l $page: $(cat "$tmp/warnings")"
fi
# The rendered text, in one long line per paragraph, without hyphenation
# breaks: what a reader searches.
MANWIDTH=1000 man -l "$page" 2>/dev/null >"$tmp/text"

missing=""
for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
    "SEE ALSO"; do
    grep -q "^$section\$" "$tmp/text" || missing="$missing '$section'"
done
for word in SSOCKETS_KEYLOGFILE SS_CPU; do
    grep -q -e "$word" "$tmp/text" || missing="$missing $word"
done
[ -z "$missing" ] && ok "the page has every section of a manual page, and its environment" ||
    not_ok "the page lacks:$missing"

# ---- every command and option of --help
"$ss" --help >"$tmp/help"
for c in listen connect genkey pubkey convert-key version; do
    "$ss" "$c" --help >>"$tmp/help" || not_ok "ssockets $c --help"
done
commands=$(sed -n 's/^  \([a-z-]*\) .*/\1/p' "$tmp/help" | grep -v '^-' | sort -u)
options=$(grep -o -e '--[a-z][a-z-]*' "$tmp/help" | sort -u)
missing=""
for word in $commands $options -h; do
    grep -q -e "$word" "$tmp/text" || missing="$missing $word"
done
[ -n "$options" ] && [ -z "$missing" ] &&
    ok "every command and option of --help is in the page ($(echo $options | wc -w) options)" ||
    not_ok "not in the page:$missing"
version=$(sed -n 's/^VERSION = //p' Makefile)
grep -q "ssockets $version" "$tmp/text" && ok "the page is of version $version" ||
    not_ok "the page does not say 'ssockets $version' (the Makefile's VERSION)"

# ---- bash completion
# complete WORDS...: what the completion offers for the command line WORDS
# (the last one being completed), one per line, sorted.
complete_words() {
    bash -c '. completion/ssockets.bash
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ssockets
        printf "%s\n" "${COMPREPLY[@]}" | sort' complete "$@"
}
got=$(complete_words ssockets "" | tr '\n' ' ')
want=$(printf '%s\n' $commands --help --version | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "completion: every command" ||
    not_ok "completion of the command: '$got', expected '$want'"
# The options a command's --help lists, one per option line ("  --key FILE ...").
options_of() {
    "$ss" "$1" --help | sed -n 's/^  \(-h, \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u
}
bad=""
for c in listen connect genkey pubkey convert-key; do
    got=$(complete_words ssockets "$c" "--" | tr '\n' ' ')
    want=$(options_of "$c" | tr '\n' ' ')
    [ -n "$want" ] && [ "$got" = "$want" ] || bad="$bad $c: '$got', expected '$want';"
done
[ -z "$bad" ] && ok "completion: each command's options, as its --help lists them" ||
    not_ok "completion of the options:$bad"
mkdir "$tmp/keys" && : >"$tmp/keys/server.key" && : >"$tmp/keys/server.pub" &&
    : >"$tmp/keys/notes.txt"
got=$(cd "$tmp/keys" && bash -c '. "$0"; COMP_WORDS=(ssockets listen --key ""); COMP_CWORD=3
    _ssockets; printf "%s\n" "${COMPREPLY[@]}"' "$OLDPWD/completion/ssockets.bash" | sort | tr '\n' ' ')
[ "$got" = "server.key " ] && ok "completion: --key offers the key files" ||
    not_ok "completion after --key: '$got', expected 'server.key '"
exit $fail
