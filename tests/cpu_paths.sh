#!/bin/sh
# cpu_paths.sh — the values of SS_CPU (src/crypto/cpu.c) that name a code
# path this machine can run, one per line: always "ref" (the reference code
# alone), then each fast path whose instructions the CPU has. tests/run.sh
# runs the crypto tests once on each.
#
# The CPU's extensions are read from /proc/cpuinfo (Linux lists there only
# what the kernel also enabled). Under SS_VALGRIND=1 the paths valgrind
# cannot run are left out: the SHA extensions, which it does not execute,
# and adx (BMI2 and ADX), which it executes but hides from CPUID, so that
# under valgrind SS_CPU=adx would quietly run the reference (tests/ct calls
# the adx code directly instead).
set -u
echo ref
[ -r /proc/cpuinfo ] || exit 0
flags=" $(grep -m 1 '^flags' /proc/cpuinfo | sed 's/^[^:]*://') "
case $flags in *" sse2 "*) echo sse2 ;; esac
case $flags in *" avx2 "*) echo avx2 ;; esac
if [ "${SS_VALGRIND:-}" != 1 ]; then
    # avx512: F, VL, BW and IFMA together (src/crypto/cpu.c)
    case $flags in *" avx512f "*) case $flags in *" avx512vl "*) case $flags in *" avx512bw "*)
        case $flags in *" avx512ifma "*) echo avx512 ;; esac ;; esac ;; esac ;; esac
    case $flags in *" sha_ni "*) case $flags in *" sse4_1 "*) echo sha ;; esac ;; esac
    case $flags in *" bmi2 "*) case $flags in *" adx "*) echo adx ;; esac ;; esac
fi
exit 0
