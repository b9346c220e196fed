#!/bin/sh
# The sources follow .clang-format, as Debian 12's clang-format 14 sees
# it (other versions format differently, so they skip rather than fail).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top_srcdir" || exit 1
command -v clang-format >/dev/null || { echo "SKIP: no clang-format"; exit 77; }
clang-format --version | grep -q 'version 14\.' ||
    { echo "SKIP: clang-format is not version 14"; exit 77; }
files=$(ls src/*.c src/*.h tests/*.c tests/unit/*.c tests/fuzz/*.c bench/*.c 2>/dev/null)
clang-format --dry-run --Werror $files || {
	echo "FAIL: run 'clang-format -i' on the files above"
	exit 1
}
echo "format: ok ($(echo $files | wc -w) files)"
