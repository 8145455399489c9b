#!/bin/sh
# deps.sh PKG... - make sure the Debian build dependencies are present.
# Installs the missing ones when running as root with apt-get; otherwise prints
# the exact command to run and fails.
missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "cvo: installing build dependencies:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
    echo "cvo: apt-get failed; run as root: apt-get install$missing" >&2
    exit 1
fi
echo "cvo: missing build dependencies; run as root: apt-get install$missing" >&2
exit 1
