/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests whose forked children end through exit() (fatal(), lock holders)
 * skip themselves under 'make check-valgrind': valgrind checks each child
 * for leaks at its exit and counts the parent's live allocations against
 * it. They run in the plain and sanitizer suites.
 */
#ifndef P2PTUI_VALGRIND_SKIP_H
#define P2PTUI_VALGRIND_SKIP_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#define SKIP_UNDER_VALGRIND() \
	do { \
		if (UNDER_VALGRIND()) \
			skip(); \
	} while (0)

#endif
