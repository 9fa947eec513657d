#!/bin/sh
# test_capture.sh — `make check`'s entry to the tshark capture test.
#
# tests/run.sh runs every tests/test_*.sh with sh and SS_BUILD set; the
# capture test itself is a bash script (tests/legacy/test.sh: arrays,
# /dev/udp) that also runs alone as `sudo tests/legacy/test.sh`. It does the
# plain, NN and NK runs with the command, the same three with the Python
# package on both sides, then its self-test, and exits 0 (pass), 1 (fail)
# or 77 (skipped: no tshark or no capture rights; a failure under CI=true).
exec bash "$(dirname "$0")/legacy/test.sh" "${SS_BUILD:-build}"
