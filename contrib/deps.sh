#!/bin/sh
# Install what p2ptui needs to build and test, from Debian's packages.
# Only missing packages are installed. Run it as yourself: it asks sudo
# for root only when something is missing, and runs as it is where it
# already is root (a container without sudo).
set -e
PKGS="build-essential autoconf automake pkg-config
libncurses-dev libsodium-dev libconfig-dev libsqlite3-dev libqrencode-dev
libmicrohttpd-dev libwslay-dev
libcmocka-dev tmux mandoc clang-format valgrind procps nodejs npm chromium
iproute2 iptables
libminiupnpc-dev libnatpmp-dev miniupnpd-nftables nftables"
missing=
for p in $PKGS; do
	# Node.js from elsewhere (NodeSource's nodejs bundles npm, and
	# conflicts with Debian's npm package) serves the web tests as well.
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		echo "contrib/deps.sh: installing with sudo:$missing" >&2
		exec sudo sh "$0" "$@"
	fi
	echo "contrib/deps.sh: need root to install:$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
