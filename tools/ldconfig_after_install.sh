#!/bin/sh
# ldconfig_after_install.sh DESTDIR LIBDIR LDCONFIG — run by `make install`
# once the shared library is in place, so that a program built with
# pkg-config runs right away, or the user is told exactly what to do.
#
#   DESTDIR set (a staged install, for a package): nothing; the package's
#       own scripts run ldconfig on the target machine.
#   LIBDIR is a directory the dynamic linker searches (`ldconfig -v -N -X`
#       lists them; SS_LINKER_DIRS replaces the list, for the tests):
#       as root, run LDCONFIG, which refreshes the linker's cache so that it
#       finds the new libssockets.so.0; otherwise print the command to run.
#   any other LIBDIR: print the LD_LIBRARY_PATH (or -rpath) to use.
set -u
destdir=$1 libdir=$2 ldconfig=$3
[ -n "$destdir" ] && exit 0
dirs=${SS_LINKER_DIRS-$(ldconfig -v -N -X 2>/dev/null | sed -n 's|^\(/[^:]*\):.*|\1|p')}
searched=no
for d in $dirs; do
    [ "$d" = "$libdir" ] && searched=yes
done
if [ $searched = yes ] && [ "$(id -u)" = 0 ]; then
    $ldconfig || { echo "make install: '$ldconfig' failed" >&2; exit 1; }
    echo "make install: ran $ldconfig: the dynamic linker finds $libdir/libssockets.so.0"
elif [ $searched = yes ]; then
    echo "make install: run 'sudo ldconfig' so that the dynamic linker finds" \
        "$libdir/libssockets.so.0"
else
    echo "make install: the dynamic linker does not search $libdir: run programs with" \
        "LD_LIBRARY_PATH=$libdir, or link them with -Wl,-rpath,$libdir"
fi
