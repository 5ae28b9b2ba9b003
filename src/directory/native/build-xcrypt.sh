#!/bin/sh
# Builds xcrypt.node (yescrypt and every other libxcrypt hash, see xcrypt.c) with the C compiler and the
# headers of the running Node; needs gcc and libcrypt-dev. Output: $1, default <repo>/build/xcrypt.node.
# Without it pochta still runs: $y$ hashes then fail to verify (logged), everything else works.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-$root/build/xcrypt.node}
node_include=$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
mkdir -p "$(dirname "$out")"
${CC:-cc} -O2 -Wall -Wextra -shared -fPIC -DNODE_GYP_MODULE_NAME=xcrypt -I"$node_include" "$here/xcrypt.c" -lcrypt -o "$out"
