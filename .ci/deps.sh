#!/bin/sh
# deps.sh PKG[=COMMAND]... - make sure the Debian build and test dependencies
# are present. PKG=COMMAND: COMMAND on the PATH is as good as the package (node
# and npm from another source than Debian's, say). Installs the missing ones
# when running as root with apt-get; otherwise prints the exact command to run
# and fails.
missing=""
for spec in "$@"; do
    pkg=${spec%%=*}
    if [ "$pkg" != "$spec" ] && command -v "${spec#*=}" >/dev/null 2>&1; then
        continue
    fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "cvo: installing dependencies:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
    echo "cvo: apt-get failed; run as root: apt-get install$missing" >&2
    exit 1
fi
echo "cvo: missing dependencies; run as root: apt-get install$missing" >&2
exit 1
