// SPDX-License-Identifier: GPL-3.0-or-later
// The headless nodes that tests/e2e/lib.sh started, seen from a node
// test: lines to their stdin fifo, waits on their stdout file.
'use strict';
const fs = require('fs');
const { DEADLINE_MS } = require('./wslib');

const T = process.env.T;

function cmd(name, line) {
	fs.appendFileSync(`${T}/${name}.in`, line + '\n');
}

// The first line of NAME's output matching re (after skip matches).
async function waitFor(name, re, skip = 0) {
	const deadline = Date.now() + DEADLINE_MS;
	for (;;) {
		const lines = fs.readFileSync(`${T}/${name}.out`, 'utf8').split('\n');
		const hits = lines.filter((l) => re.test(l));
		if (hits.length > skip)
			return hits[skip];
		if (Date.now() > deadline)
			throw new Error(`${name}: timed out waiting for ${re}; last lines:\n` +
			    lines.slice(-30).join('\n'));
		await new Promise((res) => setTimeout(res, 20));
	}
}

module.exports = { cmd, waitFor, T };
