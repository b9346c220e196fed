// SPDX-License-Identifier: GPL-3.0-or-later
// A tiny HTTP and WebSocket client for the web front end's tests, on
// node's own modules only, so a test sets Host and Origin as it likes
// (a browser never would) and sees every byte the server sends.
'use strict';
const net = require('net');
const http = require('http');
const crypto = require('crypto');

const DEADLINE_MS = (Number(process.env.P2PTUI_TEST_TIMEOUT) || 20) * 1000;

// request(port, {method, path, headers, body}) -> {status, headers, body}
function request(port, opt) {
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: '127.0.0.1', port, method: opt.method || 'GET',
			path: opt.path || '/', headers: opt.headers || {},
			setHost: false,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({
				status: res.statusCode, headers: res.headers,
				body: Buffer.concat(chunks),
			}));
		});
		req.on('error', reject);
		if (opt.body)
			req.write(opt.body);
		req.end();
	});
}

// A masked text frame of obj (JSON) or of a string, as a client sends.
function frame(obj) {
	const data = Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
	const mask = crypto.randomBytes(4);
	let head;
	if (data.length < 126) {
		head = Buffer.from([0x81, 0x80 | data.length]);
	} else if (data.length < 65536) {
		head = Buffer.alloc(4);
		head[0] = 0x81; head[1] = 0x80 | 126;
		head.writeUInt16BE(data.length, 2);
	} else {
		head = Buffer.alloc(10);
		head[0] = 0x81; head[1] = 0x80 | 127;
		head.writeBigUInt64BE(BigInt(data.length), 2);
	}
	const body = Buffer.alloc(data.length);
	for (let i = 0; i < data.length; i++)
		body[i] = data[i] ^ mask[i & 3];
	return Buffer.concat([head, mask, body]);
}

// A WebSocket: ws.status (101 or the refusal), ws.texts (messages
// received), ws.closeCode once the server sent a close frame.
class WS {
	constructor(sock) {
		this.sock = sock;
		this.buf = Buffer.alloc(0);
		this.texts = [];
		this.closeCode = null;
		this.ended = false;
		this.waiters = [];
	}
	send(obj) {
		this.sock.write(frame(obj));
	}
	feed(chunk) {
		this.buf = Buffer.concat([this.buf, chunk]);
		for (;;) {
			if (this.buf.length < 2)
				return;
			const op = this.buf[0] & 15;
			let len = this.buf[1] & 127, off = 2;
			if (this.buf[1] & 128)
				throw new Error('the server masked a frame');
			if (len === 126) {
				if (this.buf.length < 4) return;
				len = this.buf.readUInt16BE(2); off = 4;
			} else if (len === 127) {
				if (this.buf.length < 10) return;
				len = Number(this.buf.readBigUInt64BE(2)); off = 10;
			}
			if (this.buf.length < off + len)
				return;
			const payload = this.buf.subarray(off, off + len);
			this.buf = this.buf.subarray(off + len);
			if (op === 1)
				this.texts.push(JSON.parse(payload.toString('utf8')));
			else if (op === 8)
				this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
			this.wake();
		}
	}
	wake() {
		const w = this.waiters;
		this.waiters = [];
		w.forEach((f) => f());
	}
	// Wait until pred(message) holds for a message not yet taken (it
	// is taken), or fail after the deadline.
	async wait(pred, what) {
		const deadline = Date.now() + DEADLINE_MS;
		for (;;) {
			const i = this.texts.findIndex(pred);
			if (i >= 0)
				return this.texts.splice(i, 1)[0];
			if (this.ended)
				throw new Error(`connection ended waiting for ${what}`);
			if (Date.now() > deadline)
				throw new Error(`timed out waiting for ${what}; got ` +
				    JSON.stringify(this.texts).slice(-2000));
			await new Promise((res) => {
				this.waiters.push(res);
				setTimeout(res, 200);
			});
		}
	}
	async waitEnd(what) {
		const deadline = Date.now() + DEADLINE_MS;
		while (!this.ended) {
			if (Date.now() > deadline)
				throw new Error(`timed out waiting for the end of ${what}`);
			await new Promise((res) => {
				this.waiters.push(res);
				setTimeout(res, 200);
			});
		}
	}
	close() {
		this.sock.destroy();
	}
}

// connect(port, {host, origin, early}) -> WS, whose status is 101 or not
function connect(port, opt) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1');
		const key = crypto.randomBytes(16).toString('base64');
		let head = Buffer.alloc(0), ws = null;
		sock.on('connect', () => {
			let req = 'GET /ws HTTP/1.1\r\n' +
			    `Host: ${opt.host}\r\n` +
			    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
			    `Sec-WebSocket-Key: ${key}\r\n` +
			    'Sec-WebSocket-Version: 13\r\n';
			if (opt.origin)
				req += `Origin: ${opt.origin}\r\n`;
			// early: a first message right behind the request.
			sock.write(Buffer.concat([Buffer.from(req + '\r\n'),
			    opt.early ? frame(opt.early) : Buffer.alloc(0)]));
		});
		sock.on('data', (chunk) => {
			if (ws) {
				ws.feed(chunk);
				return;
			}
			head = Buffer.concat([head, chunk]);
			const end = head.indexOf('\r\n\r\n');
			if (end < 0)
				return;
			const lines = head.subarray(0, end).toString().split('\r\n');
			ws = new WS(sock);
			ws.status = Number(lines[0].split(' ')[1]);
			ws.headers = {};
			for (const l of lines.slice(1)) {
				const c = l.indexOf(':');
				ws.headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
			}
			if (ws.status === 101) {
				const want = crypto.createHash('sha1').update(key +
				    '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
				if (ws.headers['sec-websocket-accept'] !== want)
					reject(new Error('wrong Sec-WebSocket-Accept'));
				ws.feed(head.subarray(end + 4));
			} else {
				ws.body = head.subarray(end + 4);
			}
			resolve(ws);
		});
		sock.on('close', () => {
			if (ws) {
				ws.ended = true;
				ws.wake();
			} else {
				reject(new Error('closed before a response'));
			}
		});
		sock.on('error', (e) => { if (!ws) reject(e); });
	});
}

// The web front end's URL as p2ptui prints it: {port, token, host}.
function parseUrl(url) {
	const m = /^http:\/\/([^/]+):(\d+)\/#token=([0-9a-f]{64})$/.exec(url);
	if (!m)
		throw new Error(`not a web URL: ${url}`);
	return { host: `${m[1]}:${m[2]}`, port: Number(m[2]), token: m[3] };
}

// Run a test's async main: "NAME: all passed" and exit 0, or the failure
// and exit 1.
function runTest(name, main) {
	main().then(() => {
		console.log(`${name}: all passed`);
		process.exit(0);
	}, (e) => {
		console.error(`FAIL: ${e.stack || e}`);
		process.exit(1);
	});
}

module.exports = { request, connect, parseUrl, runTest, DEADLINE_MS };
