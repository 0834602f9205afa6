#!/bin/sh
# Installs the Debian packages gamehook builds and tests with, when missing
# (or the packages named as arguments).
# Called by every top-level make target; quiet when everything is present.
set -eu

pkgs="gcc make pkg-config libelf-dev libprotobuf-c-dev protobuf-c-compiler
protobuf-compiler libzstd-dev zstd libjansson-dev libncurses-dev socat
netcat-openbsd libfaketime python3 python3-numpy python3-protobuf jq binutils zlib1g-dev libxxhash-dev gdb tmux libvterm-dev
xvfb xauth mesa-utils libsdl2-dev libgl-dev
python3-zstandard python3-xxhash
libpng-dev libsdl1.2-dev libx11-dev libgl1-mesa-dri libxtst6
libegl-dev libgles-dev libegl-mesa0 mesa-utils-bin"
# gamehookd (gRPC); grpc_python_plugin and any.proto (libprotobuf-dev) for its
# .proto; openssl makes its TLS test's certificates.
pkgs="$pkgs python3-grpcio protobuf-compiler-grpc libprotobuf-dev openssl"

# With arguments, those packages instead (a test's own: Debian's games).
[ $# -gt 0 ] && pkgs="$*"

missing=""
for p in $pkgs; do
	# A package counts as present only when dpkg says it is fully installed.
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo -n"
else
	echo "deps: missing packages:$missing (not root and no sudo; install them and rerun)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the package lists first; refresh only if that fails.
if ! $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	$sudo apt-get update -q >/dev/null 2>&1 || true
	$sudo apt-get install -y -q --no-install-recommends $missing
fi
