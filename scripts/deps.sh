#!/bin/sh
# Install the Debian packages corsgate needs to build, test and benchmark,
# only those not yet installed. Run as root (or with sudo available).
#
#   scripts/deps.sh            build + test packages (clang and
#                              libclang-rt-dev, libFuzzer's runtime, which
#                              clang only recommends: the fuzz harnesses)
#   scripts/deps.sh bench      also the benchmark tools
#
# Services that Debian would start on install (nginx, apache2, lighttpd) are
# kept from starting: the tests start their own on loopback ports.
set -eu

BUILD="gcc make pkg-config libc6-dev libfcgi-dev libinih-dev libcmocka-dev spawn-fcgi
       clang libclang-rt-dev clang-tidy cppcheck"
TEST="curl python3 perl nginx lighttpd apache2 procps iproute2 wrk chromium
      firefox-esr git gitweb cgit php-cgi libcgi-pm-perl
      dpkg-dev debhelper lintian systemd"
BENCH="fcgiwrap valgrind"

want="$BUILD $TEST"
[ "${1:-}" = bench ] && want="$want $BENCH"

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi

echo "deps: installing:$missing"
# policy-rc.d exit 101 = "do not start services" (see invoke-rc.d(8));
# only ours is removed afterwards, an existing one is left alone.
ours=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    ours=1
fi
trap '[ -n "$ours" ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
