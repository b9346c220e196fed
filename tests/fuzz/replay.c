/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Replay fuzz inputs without libFuzzer: replay FILE-OR-DIRECTORY...
 * calls LLVMFuzzerTestOneInput() once per file (the files of a
 * directory in name order, not recursively), after
 * LLVMFuzzerInitialize() if the harness defines it. A crash is the
 * failure; an input that cannot be read counts as failed. Prints
 * "N passed, N failed"; exit 0 only if nothing failed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static unsigned int replay_passed, replay_failed;

static void
replay_file(const char *path)
{
	FILE *f;
	uint8_t *data = NULL, *nd;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		replay_failed++;
		return;
	}
	for (;;) {
		if (cap == len) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nd = realloc(data, cap)) == NULL) {
				fprintf(stderr, "out of memory\n");
				exit(2);
			}
			data = nd;
		}
		if ((n = fread(data + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(f);
		free(data);
		replay_failed++;
		return;
	}
	fclose(f);

	/* An exactly sized copy, as libFuzzer gives. */
	if ((nd = malloc(len != 0 ? len : 1)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (len != 0)
		memcpy(nd, data, len);
	free(data);
	LLVMFuzzerTestOneInput(nd, len);
	free(nd);
	replay_passed++;
}

static int
replay_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
replay_dir(const char *path)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char **names = NULL, **nn, *full;
	size_t n = 0, i;

	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		replay_failed++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&full, "%s/%s", path, de->d_name) == -1 ||
		    (nn = realloc(names, (n + 1) * sizeof *names)) == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		names = nn;
		if (stat(full, &sb) == 0 && !S_ISREG(sb.st_mode)) {
			free(full);
			continue;
		}
		names[n++] = full;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, replay_compare);
	for (i = 0; i < n; i++) {
		replay_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	struct stat sb;
	char **fargv = argv;
	int i, fargc = argc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&fargc, &fargv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	printf("%u passed, %u failed\n", replay_passed, replay_failed);
	return replay_failed == 0 ? 0 : 1;
}
