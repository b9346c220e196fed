/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_room: rooms between real headless nodes on loopback.
 *
 *   1  one message to every member: a member sends "/msg #bench ..."
 *      and the time until the last other member prints its rmsg; p50
 *      and p99 over the rounds (senders in turn), for rooms of 8, 32
 *      and 64 members (all meeting all), against the 1:1 round trip
 *      (/msg to "delivered") of two other nodes in the same run
 *   2  catch-up: a member that missed 10,000 events meets the one that
 *      wrote them; seconds until it printed all 10,000, and the bytes
 *      on the wire per event (the events as stored, plus the framing
 *      of each ROOM_EVENT message: sqlite3(1) reads the store)
 *   3  memory: RSS of a member of the 8 and of the 64 room (per member
 *      is the difference over 56), and of the catching-up member
 *      before and after (per stored event)
 *
 * Joins use the password (Argon2id, 128 MiB, one at a time).
 *
 *   bench_room WORKDIR P2PTUI [-q]      (-q: 8 members only, 1,000 events)
 *
 * Output: "RESULT key value" lines, then a human summary.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"

#define ROUNDS 40
#define SIZES 3

static unsigned long rmsgs[MAX_CHILDREN];
static uint64_t t_rmsg[MAX_CHILDREN];

static void
on_line(struct child *c, const char *line, uint64_t now)
{
	size_t i = (size_t)(c - children);

	if (PREFIX(line, "rmsg #")) {
		rmsgs[i]++;
		t_rmsg[i] = now;
	}
}

/* A room of n members: children [first, first + n). */
static void
room_setup(size_t first, size_t n, const char *name)
{
	struct child *a = &children[first];
	size_t i;

	child_cmd(a, "/room create %s pw", name);
	for (i = 1; i < n; i++) {
		child_cmd(
		    &children[first + i], "/join %s %s pw", a->addr, name);
		WAIT_UNTIL(children[first + i].nonline >= 1, SETUP_MS,
		    "%s to join", children[first + i].name);
	}
	/* Everyone meets everyone. */
	for (i = 0; i < n; i++)
		WAIT_UNTIL(children[first + i].nonline >= n - 1, 120000,
		    "%s to meet the %zu others (%lu)", children[first + i].name,
		    n - 1, children[first + i].nonline);
}

/*
 * The bytes of the ROOM_EVENT messages c received: each event as c
 * stored it, plus 19 bytes of framing (type, frame length, Noise tag).
 * The CREATE and the two ADDs (sent before the catch-up) are left out.
 * /proc/PID/io is not counted everywhere (containers), the store is.
 */
static double
wire_bytes(struct child *c)
{
	char cmd[8192], line[128];
	double v = 0;
	FILE *f;

	snprintf(cmd, sizeof cmd,
	    "sqlite3 '%s/%s/.local/share/p2ptui/history.db' "
	    "'SELECT SUM(LENGTH(raw) + 19) FROM room_events WHERE kind = 6'",
	    workdir, c->name);
	if ((f = popen(cmd, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) != NULL)
		v = strtod(line, NULL);
	pclose(f);
	return v;
}

static double
ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[SIZES] = { 8, 32, 64 };
	uint64_t lat[ROUNDS], rtt[ROUNDS], t0;
	double rss8 = 0, rss64 = 0, kb0, kb1;
	unsigned long base[MAX_CHILDREN], w0;
	size_t s, i, k, n, nsizes = SIZES, events = 10000;
	struct child *x, *y, *a, *b;
	char name[32];
	int quick = argc > 3 && strcmp(argv[3], "-q") == 0;

	bench_init("bench_room");
	if (argc < 3)
		die("usage: bench_room WORKDIR P2PTUI [-q]");
	workdir = argv[1];
	p2ptui_path = argv[2];
	node_conf = "handshake_rate = 1000;\nhandshake_rate_total = 1000;\n"
	            "max_peers = 128;\nkeepalive = 60;\n";
	child_event = on_line;
	children_stop_ms = 20000;
	if (quick) {
		nsizes = 1;
		events = 1000;
	}
	for (s = 0; s < nsizes; s++) {
		n = sizes[s];
		memset(rmsgs, 0, sizeof rmsgs);
		for (i = 0; i < n + 2; i++) {
			snprintf(name, sizeof name, "r%zu_%zu", n, i);
			node_wait_ready(node_start(name, NULL));
		}
		x = &children[n];
		y = &children[n + 1];
		node_introduce(x, y);
		room_setup(0, n, "bench");
		for (k = 0; k < ROUNDS; k++) {
			/* The 1:1 round trip, then one room message. */
			w0 = x->ndelivered;
			t0 = now_ns();
			child_cmd(x, "/msg %s ping %zu", x->peer_name, k);
			WAIT_UNTIL(x->ndelivered > w0, 10000, "delivered");
			rtt[k] = now_ns() - t0;
			for (i = 0; i < n; i++)
				base[i] = rmsgs[i];
			t0 = now_ns();
			child_cmd(&children[k % n], "/msg #bench round %zu", k);
			for (i = 0; i < n; i++)
				WAIT_UNTIL(rmsgs[i] > base[i], 20000,
				    "round %zu at %s", k, children[i].name);
			lat[k] = 0;
			for (i = 0; i < n; i++)
				if (i != k % n && t_rmsg[i] - t0 > lat[k])
					lat[k] = t_rmsg[i] - t0;
		}
		qsort(lat, ROUNDS, sizeof lat[0], cmp_u64);
		qsort(rtt, ROUNDS, sizeof rtt[0], cmp_u64);
		printf("RESULT room%zu_p50_ms %.2f\n", n,
		    ms(nearest_rank(lat, ROUNDS, 50)));
		printf("RESULT room%zu_p99_ms %.2f\n", n,
		    ms(nearest_rank(lat, ROUNDS, 99)));
		printf("RESULT rtt%zu_p50_ms %.2f\n", n,
		    ms(nearest_rank(rtt, ROUNDS, 50)));
		printf("RESULT rtt%zu_p99_ms %.2f\n", n,
		    ms(nearest_rank(rtt, ROUNDS, 99)));
		kb0 = (double)proc_field(children[1].pid, "status", "VmRSS:");
		if (n == 8)
			rss8 = kb0;
		if (n == 64)
			rss64 = kb0;
		printf("RESULT room%zu_member_rss_kb %.0f\n", n, kb0);
		children_stop();
		nchildren = 0;
	}
	if (rss8 > 0 && rss64 > 0)
		printf("RESULT rss_per_member_kb %.1f\n",
		    (rss64 - rss8) / (64 - 8));

	/* Catch-up. */
	memset(rmsgs, 0, sizeof rmsgs);
	a = node_start("cu_a", NULL);
	b = node_start("cu_b", NULL);
	node_wait_ready(a);
	node_wait_ready(b);
	room_setup(0, 2, "catch");
	kb0 = (double)proc_field(b->pid, "status", "VmRSS:");
	/* b stops reading: stopped, it misses everything. */
	if (kill(b->pid, SIGSTOP) == -1)
		die("SIGSTOP: %s", strerror(errno));
	child_cmd(a, "/disconnect %s", a->peer_name);
	for (k = 0; k < events; k++)
		child_cmd(a, "/msg #catch event %zu", k);
	WAIT_UNTIL(rmsgs[0] >= events, 120000, "a to write %zu", events);
	if (kill(b->pid, SIGCONT) == -1)
		die("SIGCONT: %s", strerror(errno));
	pump_for(200000000);
	if (rmsgs[1] > 0)
		die("b got %lu events before it met a again", rmsgs[1]);
	t0 = now_ns();
	child_cmd(a, "/connect %s", a->peer_name);
	WAIT_UNTIL(rmsgs[1] >= events, 120000, "b to catch up (%lu)", rmsgs[1]);
	kb1 = (double)proc_field(b->pid, "status", "VmRSS:");
	printf("RESULT catchup_events %zu\n", events);
	printf("RESULT catchup_s %.2f\n", (double)(now_ns() - t0) / 1e9);
	printf("RESULT catchup_bytes_per_event %.0f\n",
	    wire_bytes(b) / (double)events);
	printf("RESULT rss_per_event_bytes %.0f\n",
	    (kb1 - kb0) * 1024 / (double)events);
	children_stop();
	return 0;
}
