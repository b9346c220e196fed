#!/bin/sh
# The CPace code against the draft's test vectors.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
exec "$top_builddir/tests/cpace_vectors" \
    "$top_srcdir"/tests/data/cpace-ristretto255-sha512.json
