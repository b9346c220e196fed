// SPDX-License-Identifier: GPL-3.0-or-later
// The web page in a real browser (tests/e2e/web_browser.sh): Debian's
// chromium, headless, driven by playwright-core. alice runs p2ptui --web,
// bob (pinned) and carol (a stranger) are headless. Keyboard only where
// the page promises it: select with Alt+N, type, Enter. A room with bob,
// and a file he shares in it.
'use strict';
const fs = require('fs');
const { spawn } = require('child_process');
const crypto = require('crypto');
const assert = require('assert');
const { chromium } = require('playwright-core');
const nodes = require('./nodes');
const { runTest, DEADLINE_MS } = require('./wslib');

const url = process.env.WEB_URL;
const shots = process.env.SHOTS;
const T = process.env.T;
const step = (s) => console.log(`ok: ${s}`);

async function main() {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
	});
	try {
		await run(browser);
	} finally {
		await browser.close();
	}
}

async function run(browser) {
	const ctx = await browser.newContext({
		viewport: { width: 1000, height: 640 }, acceptDownloads: true,
	});
	const page = await ctx.newPage();
	page.setDefaultTimeout(DEADLINE_MS);
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('console', (m) => {
		if (m.type() === 'error')
			errors.push(m.text());
	});
	await page.goto(url);
	await page.waitForSelector('#conn.up');
	// The token left the address bar once it was read.
	assert.ok(!page.url().includes('token'), page.url());
	await page.waitForSelector('#peers li.online button[data-peer="bob"]');
	step('page open, connected, bob online');

	// Keyboard: Alt+1 is the first peer (bob), then type and Enter.
	await page.keyboard.press('Alt+1');
	await page.waitForSelector('#title:text("bob")');
	await page.keyboard.type('hello from chromium');
	await page.keyboard.press('Enter');
	await nodes.waitFor('bob', /^msg alice hello from chromium$/);
	await page.waitForSelector('#log li.out:not(.pending) >> text=hello from chromium');
	nodes.cmd('bob', '/msg alice hi <b>chromium</b><img src=x onerror=alert(1)>');
	await page.waitForSelector('#log li.in >> text=hi <b>chromium</b>');
	assert.strictEqual(await page.locator('#log b, #log img').count(), 0,
	    'peer text became HTML');
	step('chat both ways; peer text stays text');

	// A contact request from carol, accepted in the page.
	nodes.cmd('carol', `/connect ${process.env.ALICE_ADDR}`);
	const req = page.locator('#peers li.request button').first();
	await req.waitFor();
	const carol = await req.getAttribute('data-peer');
	await req.click();
	await page.setViewportSize({ width: 480, height: 640 });
	await page.screenshot({ path: `${shots}/web_browser_narrow.png` });
	await page.setViewportSize({ width: 1000, height: 640 });
	await page.click('#accept');
	await nodes.waitFor('carol', /^online /);
	await page.waitForSelector(`#peers li.online button[data-peer="${carol}"]`);
	step('contact request accepted');

	// A coin flip with bob, and its proof.
	await page.click(`#peers button[data-peer="bob"]`);
	await page.click('#flip');
	const flip = page.locator('#log li.flip').last();
	await flip.locator('text=/heads|tails/').waitFor();
	await nodes.waitFor('bob', /^flip alice \S+ remote done coin (heads|tails)$/);
	await flip.locator('summary').click();
	const proof = await flip.locator('code').allTextContents();
	assert.strictEqual(proof.length, 3);
	for (const v of proof)
		assert.match(v, /^[0-9a-f]{64}$/);
	step('flip done, proof shown');

	// A file picked in the page, offered to bob, received identical.
	const data = crypto.randomBytes(200000);
	fs.writeFileSync(`${T}/picked.bin`, data);
	await page.setInputFiles('#file', `${T}/picked.bin`);
	const offer = await nodes.waitFor('bob', /^file alice \d+ in offered /);
	const num = offer.split(' ')[2];
	nodes.cmd('bob', `/accept #${num}`);
	const saved = await nodes.waitFor('bob', new RegExp(`^saved alice ${num} `));
	assert.ok(fs.readFileSync(saved.split(' ').slice(3).join(' ')).equals(data));
	await page.waitForSelector('#xfers li >> text=/picked\\.bin/');
	await page.waitForSelector('#xfers li >> text=/ done$/');
	step('file sent from the page, received byte-identical');

	// bob offers a file: accept in the page, then open it.
	const back = crypto.randomBytes(50000);
	fs.writeFileSync(`${T}/from-bob.txt`, back);
	nodes.cmd('bob', `/send alice ${T}/from-bob.txt`);
	const li = page.locator('#xfers li', { hasText: 'from-bob.txt' });
	await li.locator('button:text("Accept")').click();
	const dl = page.waitForEvent('download');
	await li.locator('button:text("Open")').click();
	const got = await (await dl).path();
	assert.ok(fs.readFileSync(got).equals(back), 'downloaded file differs');
	step('incoming file accepted and opened');

	await page.screenshot({ path: `${shots}/web_browser.png` });
	await page.emulateMedia({ colorScheme: 'dark' });
	await page.screenshot({ path: `${shots}/web_browser_dark.png` });

	// A second tab stays in step, and the first reconnects after the
	// server drops it (several pages, reconnects).
	const page2 = await ctx.newPage();
	await page2.goto(url);
	await page2.waitForSelector('#conn.up');
	await page2.click('#peers button[data-peer="bob"]');
	nodes.cmd('bob', '/msg alice to both tabs');
	await page.waitForSelector('#log li.in >> text=to both tabs');
	await page2.waitForSelector('#log li.in >> text=to both tabs');
	step('two tabs in step');

	// Unread: a message for a conversation not shown counts; showing it
	// clears the count.
	await page.keyboard.press('Alt+0');
	await page.waitForSelector('#title:text("system")');
	nodes.cmd('bob', '/msg alice unread one');
	nodes.cmd('bob', '/msg alice unread two');
	await page.waitForSelector('#peers button[data-peer="bob"] .unread:text("2")');
	await page.keyboard.press('Alt+1');
	await page.waitForSelector('#log li.in >> text=unread two');
	assert.strictEqual(await page.locator('#peers button[data-peer="bob"] .unread').count(), 0);
	step('unread counts');

	// A room, from the page's command line: created, bob invited in its
	// view; text typed there goes to the room, bob's shows with his
	// name (as text), and a new tab reads the room's history.
	await page.keyboard.press('Alt+0');
	await page.locator('#input').fill('/room create tea');
	await page.keyboard.press('Enter');
	const room = page.locator('#peers li.room button[data-room="tea"]');
	await room.waitFor();
	await room.click();
	await page.waitForSelector('#title:text("#tea")');
	await page.locator('#input').fill('/room invite bob');
	await page.keyboard.press('Enter');
	await nodes.waitFor('bob', /^joined #tea /);
	await page.waitForSelector('#state:text("2 of 2 members online")');
	await page.waitForSelector('#peers button[data-room="tea"] .count:text("2/2")');
	await page.locator('#input').fill('hello tea room');
	await page.keyboard.press('Enter');
	await nodes.waitFor('bob', /^rmsg #tea \S+ hello tea room$/);
	await page.waitForSelector('#log li.out >> text=hello tea room');
	nodes.cmd('bob', '/msg #tea <i>tea</i> for two');
	await page.waitForSelector('#log li.in >> text=<i>tea</i> for two');
	assert.strictEqual(await page.locator('#log i').count(), 0, 'member text became HTML');
	assert.strictEqual(await page.locator('#log li.in .who').last().textContent(), 'bob');
	await page.screenshot({ path: `${shots}/web_browser_room.png` });
	// A room file bob shares appears in the room's view with who shares
	// it (its name, markup, as text), and its Download button fetches it:
	// its row shows the source while it comes (bob serves 256 KiB/s),
	// then goes, and the file's line says we have it.
	const big = crypto.randomBytes(1024 * 1024);
	const bname = '<i>big.bin'; // markup, and no slash: a file name
	fs.writeFileSync(`${T}/${bname}`, big);
	nodes.cmd('bob', `/share #tea ${T}/${bname}`);
	await nodes.waitFor('bob', /^info shared <i>big\.bin in #tea$/);
	const srow = page.locator('#xfers li.rshared', { hasText: bname });
	await srow.locator('text=from bob').waitFor();
	assert.strictEqual(await page.locator('#xfers i').count(), 0, 'a file name became HTML');
	await srow.locator('button', { hasText: 'Download' }).click();
	const rrow = page.locator('#xfers li.rfile', { hasText: bname });
	await rrow.locator('text=/1 source/').waitFor();
	await page.screenshot({ path: `${shots}/web_browser_room_file.png` });
	await rrow.waitFor({ state: 'detached' });
	await srow.locator('text=you have it').waitFor();
	assert.strictEqual(await srow.locator('button').count(), 0, 'Download stayed');
	const roomSaved = fs.readdirSync(`${T}/alice/Downloads`).filter((n) => n.includes('big'));
	assert.strictEqual(roomSaved.length, 1, `saved as ${roomSaved}`);
	assert.ok(fs.readFileSync(`${T}/alice/Downloads/${roomSaved[0]}`).equals(big),
	    'the room file arrived different');
	// A file picked in the room's view is shared in the room: its line
	// says we have it, and bob can fetch it.
	const mine = crypto.randomBytes(100000);
	fs.writeFileSync(`${T}/mine.bin`, mine);
	await page.setInputFiles('#file', `${T}/mine.bin`);
	await page.locator('#status >> text=sharing mine.bin in #tea').waitFor();
	await page.locator('#xfers li.rshared', { hasText: 'mine.bin' })
	    .locator('text=you have it').waitFor();
	for (let n = 0; ; n++) { // until alice's FILE event reaches bob
		nodes.cmd('bob', '/download mine.bin');
		const l = await nodes.waitFor('bob', /^(info downloading mine\.bin|error no file mine\.bin)/, n);
		if (/downloading/.test(l))
			break;
		assert.ok(n < 50, 'the shared file never reached bob');
		await page.waitForTimeout(100);
	}
	const bsaved = await nodes.waitFor('bob', /^saved swarm \d+ .*mine\.bin$/);
	assert.ok(fs.readFileSync(bsaved.split(' ').slice(3).join(' ')).equals(mine),
	    'the file shared from the page arrived different');
	// Unread in a room not shown.
	await page.keyboard.press('Alt+0');
	nodes.cmd('bob', '/msg #tea while away');
	await page.waitForSelector('#peers button[data-room="tea"] .unread:text("1")');
	const page4 = await ctx.newPage();
	await page4.goto(url);
	await page4.waitForSelector('#conn.up');
	await page4.click('#peers button[data-room="tea"]');
	await page4.waitForSelector('#log li >> text=hello tea room');
	await page4.waitForSelector('#log li >> text=while away');
	await page4.close();
	await page.keyboard.press('Alt+1');
	await page.waitForSelector('#title:text("bob")');
	step('room: created, bob invited, messages both ways, history, files listed, fetched and shared');

	// History on scroll: a new tab reads the newest 50, and older ones
	// as it scrolls up.
	for (let i = 0; i < 60; i++)
		nodes.cmd('bob', `/msg alice old ${i}`);
	await page.waitForSelector('#log li.in >> text=/^old 59$/');
	const page3 = await ctx.newPage();
	await page3.goto(url);
	await page3.waitForSelector('#conn.up');
	await page3.click('#peers button[data-peer="bob"]');
	await page3.waitForSelector('#log li.in >> text=/^old 59$/');
	assert.strictEqual(await page3.locator('#log li >> text=/^old 5$/').count(), 0);
	await page3.locator('#log').evaluate((e) => { e.scrollTop = 0; });
	await page3.waitForSelector('#log li.in >> text=/^old 5$/');
	await page3.locator('#log').evaluate((e) => { e.scrollTop = 0; });
	await page3.waitForSelector('#log li.out >> text=hello from chromium');
	await page3.close();
	step('history on scroll');

	// p2ptui restarts: the page says so, reconnects by itself, and reads
	// the state again (same port and token).
	process.kill(Number(process.env.ALICE_PID), 'SIGTERM');
	await page.waitForSelector('#conn.down');
	const again = spawn(process.env.P2PTUI, ['--web'], {
		env: { ...process.env, HOME: `${T}/alice` },
		stdio: ['ignore', fs.openSync(`${T}/alice2.out`, 'a'),
		    fs.openSync(`${T}/alice2.err`, 'a')],
	});
	const exited = new Promise((res) => again.on('exit', (code) => res(code)));
	try {
		await page.waitForSelector('#conn.up');
		await page.waitForSelector('#peers li.online button[data-peer="bob"]');
		await page.click('#peers button[data-peer="bob"]');
		await page.waitForSelector('#log li.in >> text=/^old 59$/'); // history
		await page.locator('#input').fill('after the restart');
		await page.keyboard.press('Enter');
		await nodes.waitFor('bob', /^msg alice after the restart$/);
	} finally {
		again.kill('SIGTERM');
	}
	assert.strictEqual(await exited, 0, 'the restarted p2ptui did not exit cleanly');
	step('reconnected after p2ptui restarted');
	// Only the refused connections while p2ptui was down.
	assert.deepStrictEqual(errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket/.test(e)), []);
}

runTest('web_browser', main);
