#!/bin/sh
# The Noise engine against the published test vectors.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
exec "$top_builddir/tests/noise_vectors" "$top_srcdir"/tests/data/noise-*.json
