/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the configuration reader: the input is written
 * to a temporary file and loaded with conf_load(). Any input must give
 * either a configuration or a "FILE:LINE: ..." cause, never a crash or a
 * leak; a loaded configuration must satisfy the table's ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char path[] = "/tmp/p2ptui-fuzz-conf.XXXXXX";
	struct conf conf;
	char *cause = NULL;
	int fd, created;
	size_t i;

	if (len > 65536)
		return 0;
	ident_init();
	if ((fd = mkstemp(path)) == -1)
		abort();
	if (write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	if (conf_load(&conf, path, 0, &created, NULL, &cause) == 0) {
		if (conf.peer_width < 10 || conf.peer_width > 60 ||
		    conf.keepalive < 5 || conf.max_message > 60000 ||
		    conf.data_dir == NULL || conf.data_dir[0] == '\0' ||
		    created)
			abort();
		for (i = 0; i < conf.npeers; i++) {
			if (conf_valid_name(conf.peers[i].name) != 0 ||
			    (!conf.peers[i].has_key &&
			        conf.peers[i].address == NULL))
				abort();
		}
	} else {
		/* Every error names the file. */
		if (cause == NULL || strncmp(cause, path, strlen(path)) != 0)
			abort();
		free(cause);
	}
	conf_free(&conf);
	unlink(path);
	return 0;
}
