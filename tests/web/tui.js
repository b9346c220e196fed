// SPDX-License-Identifier: GPL-3.0-or-later
// The terminal UI and the web page on one p2ptui (tests/e2e/web_tui.sh):
// a line typed in either appears in the other, and reaches bob.
'use strict';
const { execFileSync } = require('child_process');
const assert = require('assert');
const { connect, runTest, DEADLINE_MS } = require('./wslib');
const nodes = require('./nodes');

const port = Number(process.env.WEB_PORT);
const host = `127.0.0.1:${port}`;
const tmux = (...a) => execFileSync('tmux', ['-L', process.env.TMUX_SOCKET, ...a]).toString();
const step = (s) => console.log(`ok: ${s}`);

async function waitScreen(re) {
	const deadline = Date.now() + DEADLINE_MS;
	for (;;) {
		const s = tmux('capture-pane', '-p', '-t', 'ui');
		if (re.test(s))
			return;
		if (Date.now() > deadline)
			throw new Error(`screen never showed ${re}:\n${s}`);
		await new Promise((res) => setTimeout(res, 50));
	}
}

async function main() {
	const ws = await connect(port, { host, origin: `http://${host}` });
	assert.strictEqual(ws.status, 101);
	ws.send({ type: 'auth', token: process.env.WEB_TOKEN });
	await ws.wait((m) => m.type === 'peers' &&
	    m.peers.some((p) => p.name === 'bob' && p.state === 'online'), 'bob online');

	// Typed in the page: in the terminal's bob view, and at bob.
	tmux('send-keys', '-t', 'ui', 'M-1');
	await waitScreen(/^>1 \+ bob /m);
	ws.send({ type: 'line', peer: 'bob', text: 'typed in the browser' });
	await nodes.waitFor('bob', /^msg alice typed in the browser$/);
	await waitScreen(/│<alice> typed in the browser/);
	step('a line typed in the page appears in the terminal');

	// Typed in the terminal: in the page, and at bob.
	tmux('send-keys', '-t', 'ui', '-l', 'typed in the terminal');
	tmux('send-keys', '-t', 'ui', 'Enter');
	await ws.wait((m) => m.type === 'message' && m.outgoing && m.peer === 'bob' &&
	    m.text === 'typed in the terminal', 'the terminal\'s line in the page');
	await nodes.waitFor('bob', /^msg alice typed in the terminal$/);
	step('a line typed in the terminal appears in the page');

	// From bob: both show it; /web in the terminal prints the URL.
	nodes.cmd('bob', '/msg alice to both frontends');
	await ws.wait((m) => m.type === 'message' && !m.outgoing &&
	    m.text === 'to both frontends', 'bob\'s line in the page');
	await waitScreen(/│<bob> to both frontends/);
	step('a message from bob in both');
	ws.close();
}

runTest('web_tui', main);
