// SPDX-License-Identifier: GPL-3.0-or-later
// The web front end without a browser (tests/e2e/web_ws.sh): alice runs
// p2ptui --web, bob is headless. Host, Origin and token checks; chat
// both ways; two pages in step; history; commands; a room and a room
// file, and many in a catch-up; a file uploaded, offered and received
// byte-identical; a received file downloaded.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const assert = require('assert');
const { request, connect, parseUrl, runTest } = require('./wslib');
const bob = require('./nodes');

const { port, token, host } = parseUrl(process.env.WEB_URL);
const origin = `http://${host}`;
const T = process.env.T;
const step = (s) => console.log(`ok: ${s}`);

async function page() {
	const ws = await connect(port, { host, origin });
	assert.strictEqual(ws.status, 101);
	ws.send({ type: 'auth', token });
	const hello = await ws.wait((m) => m.type === 'hello', 'hello');
	assert.ok(hello.commands.some((c) => c.name === 'web'));
	return ws;
}

async function main() {
	// The page shell is public, with a strict policy.
	let r = await request(port, { headers: { Host: host } });
	assert.strictEqual(r.status, 200);
	assert.match(r.headers['content-security-policy'], /script-src 'self';/);
	assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/);
	assert.strictEqual(r.headers['x-content-type-options'], 'nosniff');
	assert.match(r.body.toString(), /<script src="app.js"/);
	assert.doesNotMatch(r.body.toString(), /<script>/);
	r = await request(port, { headers: { Host: `localhost:${port}` } });
	assert.strictEqual(r.status, 200);
	step('page shell served with CSP and nosniff');

	// Request headers are bounded (32 KiB with the request line).
	r = await request(port, { headers: { Host: host, 'X-Big': 'a'.repeat(40000) } });
	assert.strictEqual(r.status, 431);
	r = await request(port, { path: '/' + 'a'.repeat(40000), headers: { Host: host } });
	assert.strictEqual(r.status, 414);
	step('oversized request headers refused');

	// At most 16 pages at once; a closed one frees its place.
	const pages = [];
	for (let i = 0; i < 16; i++)
		pages.push(await page());
	let extra = await connect(port, { host, origin });
	assert.strictEqual(extra.status, 503);
	extra.close();
	pages.forEach((p) => p.close());
	for (const deadline = Date.now() + 5000; ;) {
		extra = await connect(port, { host, origin });
		if (extra.status === 101)
			break;
		assert.ok(Date.now() < deadline, 'closed pages never freed their places');
		await new Promise((res) => setTimeout(res, 20));
	}
	extra.close();
	step('16 pages at most');

	// Everything else needs the token: 403 and nothing else.
	for (const t of [undefined, '0'.repeat(64), token.slice(0, 63), token + '0']) {
		const h = { Host: host };
		if (t !== undefined)
			h['X-P2ptui-Token'] = t;
		for (const path of ['/files/1', '/upload', '/nothing']) {
			r = await request(port, { path, headers: h });
			assert.strictEqual(r.status, 403, `${path} with ${t}`);
			assert.strictEqual(r.body.length, 0);
		}
	}
	r = await request(port, { method: 'POST', path: '/upload',
	    headers: { Host: host, 'X-P2ptui-Name': 'x', 'Content-Length': 1 },
	    body: 'x' });
	assert.strictEqual(r.status, 403);
	assert.strictEqual(r.body.length, 0);
	step('no token or a wrong one: 403, empty body');

	// DNS rebinding: another name in Host, even with the token.
	for (const h of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`,
	    `localhost.evil.example:${port}`]) {
		r = await request(port, { headers: { Host: h, 'X-P2ptui-Token': token } });
		assert.strictEqual(r.status, 403, h);
		assert.strictEqual(r.body.length, 0);
	}
	let ws = await connect(port, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
	assert.strictEqual(ws.status, 403);
	step('foreign Host refused');

	// Cross-site WebSocket hijacking: a foreign or missing Origin.
	for (const o of ['http://evil.example', `http://localhost:${port}`, undefined]) {
		ws = await connect(port, { host, origin: o });
		assert.strictEqual(ws.status, 403, `origin ${o}`);
		assert.strictEqual(ws.body.length, 0);
		ws.close();
	}
	step('foreign Origin refused');

	// A wrong token in the first message: a close frame, nothing else.
	ws = await connect(port, { host, origin });
	assert.strictEqual(ws.status, 101);
	ws.send({ type: 'auth', token: '1'.repeat(64) });
	await ws.waitEnd('a refused WebSocket');
	assert.strictEqual(ws.closeCode, 1008);
	assert.deepStrictEqual(ws.texts, []);
	ws = await connect(port, { host, origin });
	ws.send({ type: 'line', text: '/peers' });
	await ws.waitEnd('a WebSocket without auth');
	assert.deepStrictEqual(ws.texts, []);
	step('WebSocket: wrong or missing token closed with 1008, no event');

	// The first message right behind the handshake, before the 101:
	// MHD hands those bytes over with the socket.
	ws = await connect(port, { host, origin, early: { type: 'auth', token } });
	assert.strictEqual(ws.status, 101);
	await ws.wait((m) => m.type === 'hello', 'hello after a pipelined auth');
	ws.close();
	ws = await connect(port, { host, origin, early: { type: 'auth', token: token.replace(/./, 'x') } });
	await ws.waitEnd('a pipelined wrong token');
	assert.strictEqual(ws.closeCode, 1008);
	assert.deepStrictEqual(ws.texts, []);
	step('auth pipelined behind the handshake');

	// Two pages in step.
	const a = await page();
	const b = await page();
	const peers = await a.wait((m) => m.type === 'peers', 'peers');
	assert.ok(peers.peers.some((p) => p.name === 'bob' && p.state === 'online'),
	    JSON.stringify(peers));
	step('authenticated: hello and the peer list');

	a.send({ type: 'line', peer: 'bob', text: 'hello from the web' });
	await bob.waitFor('bob', /^msg alice hello from the web$/);
	for (const w of [a, b])
		await w.wait((m) => m.type === 'message' && m.outgoing &&
		    m.text === 'hello from the web', 'our message, in both pages');
	await a.wait((m) => m.type === 'delivered' && m.peer === 'bob', 'delivered');
	bob.cmd('bob', '/msg alice héllo <b>web</b> \u202e');
	for (const w of [a, b]) {
		const m = await w.wait((m) => m.type === 'message' && !m.outgoing,
		    'bob\'s message');
		assert.strictEqual(m.peer, 'bob');
		assert.strictEqual(m.text, 'héllo <b>web</b> \u202e');
	}
	step('chat both ways, two pages in step');

	// History, newest first, page by page.
	a.send({ type: 'history', peer: 'bob', limit: 1 });
	const h1 = await a.wait((m) => m.type === 'history', 'history');
	assert.deepStrictEqual(h1.lines.map((l) => l.text), ['héllo <b>web</b> \u202e']);
	assert.ok(h1.more && !h1.lines[0].outgoing);
	a.send({ type: 'history', peer: 'bob', before: h1.lines[0].rowid, limit: 5 });
	const h2 = await a.wait((m) => m.type === 'history', 'older history');
	assert.deepStrictEqual(h2.lines.map((l) => l.text), ['hello from the web']);
	assert.ok(!h2.more && h2.lines[0].outgoing && h2.lines[0].delivered);
	step('history from the store');

	a.send({ type: 'line', text: '/help' });
	await a.wait((m) => m.type === 'reply' && /^\/web\s/.test(m.text), '/help');
	a.send({ type: 'line', text: '/web' });
	const u = await a.wait((m) => m.type === 'reply' && /^web front end: /.test(m.text), '/web');
	assert.strictEqual(u.text, `web front end: ${process.env.WEB_URL}`);
	// Command output goes to the page that typed it only.
	assert.ok(!b.texts.some((m) => m.type === 'reply'));
	step('commands: /help and /web, replies to that page only');

	// A room over the protocol: the list in the state, a line in its
	// view reaches a member, its history; an unknown room is refused.
	const r0 = await a.wait((m) => m.type === 'rooms', 'the room list');
	assert.deepStrictEqual(r0.rooms, []);
	a.send({ type: 'line', text: '/room create ws' });
	const r1 = await a.wait((m) => m.type === 'rooms' && m.rooms.length === 1, 'a room');
	assert.strictEqual(r1.rooms[0].name, 'ws');
	assert.match(r1.rooms[0].id, /^[0-9a-f]{32}$/);
	a.send({ type: 'line', room: 'ws', text: '/room invite bob' });
	await bob.waitFor('bob', /^joined #ws /);
	a.send({ type: 'line', room: 'ws', text: 'to the room' });
	await bob.waitFor('bob', /^rmsg #ws \S+ to the room$/);
	bob.cmd('bob', '/msg #ws back <b>from</b> bob');
	const rm = await b.wait((m) => m.type === 'rmsg' && !m.outgoing, 'bob in the room');
	assert.strictEqual(rm.room, 'ws');
	assert.strictEqual(rm.text, 'back <b>from</b> bob');
	a.send({ type: 'rhistory', room: 'ws', limit: 5 });
	const rh = await a.wait((m) => m.type === 'rhistory', 'room history');
	assert.deepStrictEqual(rh.lines.map((l) => l.text), ['to the room', 'back <b>from</b> bob']);
	a.send({ type: 'rhistory', room: 'nope' });
	await a.wait((m) => m.type === 'reply' && m.text === 'no such room', 'unknown room');
	step('a room: list, lines, messages both ways, history, unknown room');

	// A room file: bob shares it; every page hears of it (rfiles, with
	// who shares it and what we hold), and one downloads it by its root
	// (the Download button); its progress comes as rfile, with the room
	// it belongs to.
	const shared = crypto.randomBytes(300000);
	fs.writeFileSync(`${T}/ws.bin`, shared);
	bob.cmd('bob', `/share #ws ${T}/ws.bin`);
	await bob.waitFor('bob', /^info shared ws\.bin in #ws$/);
	const hasWs = (m) => m.type === 'rfiles' && m.room === 'ws' &&
	    m.files.some((f) => f.name === 'ws.bin');
	const wf = (await a.wait(hasWs, 'rfiles when bob announced a file'))
	    .files.find((f) => f.name === 'ws.bin');
	await b.wait(hasWs, 'rfiles on the other page');
	assert.strictEqual(wf.size, shared.length);
	assert.match(wf.who, /^bob/);
	assert.strictEqual(wf.have, -1);
	assert.match(wf.root, /^[0-9a-f]{64}$/);
	a.send({ type: 'rdownload', room: 'ws', root: '0'.repeat(64) });
	await a.wait((m) => m.type === 'reply' && m.text === 'no such file in #ws',
	    'a root not announced in the room');
	a.send({ type: 'rdownload', room: 'ws', root: wf.root.toUpperCase() });
	await a.wait((m) => m.type === 'reply' && m.text === 'no such file in #ws',
	    'a root not as rfiles gave it');
	a.send({ type: 'rdownload', room: 'ws', root: wf.root });
	await a.wait((m) => m.type === 'reply' &&
	    /^downloading ws\.bin \(#\d+\)/.test(m.text), 'the download starting');
	const rf = await a.wait((m) => m.type === 'rfile' && m.done &&
	    m.name === 'ws.bin', 'the room file, downloaded');
	assert.deepStrictEqual(rf.rooms, ['ws']);
	assert.strictEqual(rf.bytes, shared.length);
	assert.ok(fs.readFileSync(`${T}/alice/Downloads/ws.bin`).equals(shared),
	    'the room file arrived different');
	assert.ok(b.texts.some((m) => m.type === 'rfile' && m.name === 'ws.bin'),
	    'the other page heard nothing of it');
	a.send({ type: 'rfiles', room: 'ws' });
	await a.wait((m) => m.type === 'rfiles' && m.files.some((f) =>
	    f.name === 'ws.bin' && f.have === shared.length), 'what we hold of it, after');
	step('a room file downloaded from the room\'s view, with its progress');

	// Upload: a file picked in the page is offered to bob.
	const data = crypto.randomBytes(300000);
	const name = 'résumé 1.bin';
	r = await request(port, { method: 'POST', path: '/upload',
	    headers: { Host: host, 'X-P2ptui-Token': token,
	        'X-P2ptui-Peer': 'bob', 'X-P2ptui-Name': encodeURIComponent(name),
	        'Content-Length': data.length }, body: data });
	assert.strictEqual(r.status, 200, r.body.toString());
	assert.strictEqual(JSON.parse(r.body).ok, true);
	const offer = await bob.waitFor('bob', /^file alice \d+ in offered /);
	const num = offer.split(' ')[2];
	bob.cmd('bob', `/accept #${num}`);
	const saved = await bob.waitFor('bob', new RegExp(`^saved alice ${num} `));
	const path = saved.split(' ').slice(3).join(' ');
	assert.ok(path.endsWith(name), path);
	assert.ok(fs.readFileSync(path).equals(data), 'uploaded file differs');
	await a.wait((m) => m.type === 'file' && m.dir === 'out' && m.state === 'done' &&
	    m.bytes === data.length, 'the upload done');
	step('upload offered and received byte-identical');

	// Upload into a room: shared there; bob downloads it from alice.
	const rdata = crypto.randomBytes(200000);
	r = await request(port, { method: 'POST', path: '/upload',
	    headers: { Host: host, 'X-P2ptui-Token': token,
	        'X-P2ptui-Room': 'ws', 'X-P2ptui-Name': 'up.bin',
	        'Content-Length': rdata.length }, body: rdata });
	assert.strictEqual(r.status, 200, r.body.toString());
	assert.strictEqual(JSON.parse(r.body).ok, true);
	await a.wait((m) => m.type === 'rfiles' && m.room === 'ws' &&
	    m.files.some((f) => f.name === 'up.bin' && f.have === rdata.length),
	    'the uploaded file, shared in the room');
	for (let n = 0; ; n++) { // until alice's FILE event reaches bob
		bob.cmd('bob', '/download up.bin');
		const l = await bob.waitFor('bob', /^(info downloading up\.bin|error no file up\.bin)/, n);
		if (/downloading/.test(l))
			break;
		assert.ok(n < 50, 'alice\'s file never reached bob');
		await new Promise((res) => setTimeout(res, 100));
	}
	const rsaved = await bob.waitFor('bob', /^saved swarm \d+ /);
	assert.ok(fs.readFileSync(rsaved.split(' ').slice(3).join(' ')).equals(rdata),
	    'the file shared from the page differs');
	r = await request(port, { method: 'POST', path: '/upload',
	    headers: { Host: host, 'X-P2ptui-Token': token,
	        'X-P2ptui-Room': 'nope', 'X-P2ptui-Name': 'x.bin',
	        'Content-Length': 3 }, body: Buffer.from('abc') });
	assert.strictEqual(r.status, 400);
	assert.deepStrictEqual(JSON.parse(r.body).replies.map((x) => x.text), ['no such room']);
	step('upload shared in a room, fetched by a member; unknown room refused');

	// Too large for upload_max (1 MiB here): refused before the body.
	r = await request(port, { method: 'POST', path: '/upload',
	    headers: { Host: host, 'X-P2ptui-Token': token,
	        'X-P2ptui-Peer': 'bob', 'X-P2ptui-Name': 'big',
	        'Content-Length': 2 * 1024 * 1024 }, body: Buffer.alloc(1) }).catch(() => ({ status: 413 }));
	assert.strictEqual(r.status, 413);
	step('upload past upload_max refused');

	// Download: bob offers, the page accepts, fetches the saved file.
	const back = crypto.randomBytes(123457);
	fs.writeFileSync(`${T}/back.bin`, back);
	bob.cmd('bob', `/send alice ${T}/back.bin`);
	const off = await a.wait((m) => m.type === 'file' && m.dir === 'in' &&
	    m.state === 'offered', 'an offer');
	a.send({ type: 'line', peer: 'bob', text: `/accept #${off.num}` });
	await b.wait((m) => m.type === 'file' && m.num === off.num && m.saved,
	    'the file saved, in the other page');
	r = await request(port, { path: `/files/${off.num}`,
	    headers: { Host: host, 'X-P2ptui-Token': token } });
	assert.strictEqual(r.status, 200);
	assert.ok(r.body.equals(back), 'downloaded file differs');
	assert.match(r.headers['content-disposition'], /^attachment; filename\*=UTF-8''back\.bin$/);
	step('received file downloaded byte-identical');

	// A room's files learnt in a catch-up reach the page as a few whole
	// lists, not one per file: 300 lists of up to 300 files would be
	// some 10 MB, past what a page may have queued.
	const NFILES = 300;
	fs.mkdirSync(`${T}/many`);
	bob.cmd('bob', '/room create many');
	await bob.waitFor('bob', /^joined #many /);
	const shares = [];
	for (let i = 0; i < NFILES; i++) {
		fs.writeFileSync(`${T}/many/f${i}.bin`, crypto.randomBytes(1000 + i));
		shares.push(`/share #many ${T}/many/f${i}.bin`);
	}
	bob.cmd('bob', shares.join('\n'));
	await bob.waitFor('bob', /^info shared f\d+\.bin in #many$/, NFILES - 1);
	bob.cmd('bob', '/room invite alice');
	const all = await a.wait((m) => m.type === 'rfiles' && m.room === 'many' &&
	    m.files.length === NFILES, `all ${NFILES} files of the room joined`);
	assert.ok(all.files.every((f) => /^bob/.test(f.who) && f.have === -1));
	const lists = 1 + a.texts.filter((m) => m.type === 'rfiles' && m.room === 'many').length;
	assert.ok(lists <= 30, `${lists} rfiles lists for ${NFILES} files`);
	a.send({ type: 'line', peer: 'bob', text: 'after the files' });
	await bob.waitFor('bob', /^msg alice after the files$/);
	step(`${NFILES} room files from a catch-up, in ${lists} lists`);

	// A page that stops reading is dropped, not buffered without bound
	// (8 MiB); the others go on.
	const big = 'x'.repeat(4000);
	for (let i = 0; i < 30; i++)
		bob.cmd('bob', `/msg alice ${i} ${big}`);
	await a.wait((m) => m.type === 'message' && m.text.startsWith('29 '), 'big messages');
	const slow = await page();
	slow.sock.pause();
	// One request at a time, as a page would: each answer (some 128 KiB)
	// is written as soon as it can be, until the socket is full.
	for (let i = 0; i < 300; i++) {
		slow.send({ type: 'history', peer: 'bob', limit: 500 });
		await new Promise((res) => setTimeout(res, 5));
	}
	slow.sock.resume();
	await slow.waitEnd('a page that does not read');
	const got = slow.texts.filter((m) => m.type === 'history').length;
	assert.ok(got < 300, `all ${got} answers queued for a page that did not read`);
	a.send({ type: 'line', peer: 'bob', text: 'still here' });
	await bob.waitFor('bob', /^msg alice still here$/);
	step(`a page that does not read dropped (after ${got} of 300 answers)`);

	a.close();
	b.close();
}

runTest('web_ws', main);
