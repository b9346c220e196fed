// SPDX-License-Identifier: GPL-3.0-or-later
// The p2ptui web page. It speaks the JSON protocol of p2ptui(1), WEB
// FRONTEND, over one WebSocket: the first message carries the token from
// the URL fragment; every HTTP request but the page itself carries it in
// X-P2ptui-Token. Text from peers is only ever inserted with textContent.
'use strict';

(function () {
	const $ = (id) => document.getElementById(id);
	const SYSTEM = '';

	// The token: from #token=..., then kept for this tab only and taken
	// off the address bar.
	let token = sessionStorage.getItem('p2ptui-token');
	const m = /^#token=([0-9a-f]{64})$/.exec(location.hash);
	if (m) {
		token = m[1];
		sessionStorage.setItem('p2ptui-token', token);
		history.replaceState(null, '', location.pathname);
	}

	const state = {
		ws: null,
		up: false,
		retry: 500,
		peers: new Map(), // name -> peer object from the server
		order: [],
		convs: new Map(), // name or SYSTEM -> {items, ids, oldest, more, loaded}
		xfers: new Map(), // num -> file event
		flips: new Map(), // id -> flip event
		rooms: new Map(), // '#name' -> room object from the server
		rfiles: new Map(), // num -> rfile event (room files)
		roomFiles: new Map(), // room name -> its files (rfiles event)
		sel: SYSTEM, // '' (system), a peer's name, or '#' and a room's
		unread: new Map(), // our own count, for peers not selected
		upload_max: 0,
	};

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function conv(name) {
		let c = state.convs.get(name);
		if (!c) {
			c = { items: [], ids: new Map(), oldest: 0, more: true, loaded: false };
			state.convs.set(name, c);
		}
		return c;
	}

	function hhmm(ms) {
		if (!ms)
			return '';
		const d = new Date(ms);
		return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
	}

	// --- the connection ------------------------------------------------

	function send(obj) {
		if (state.ws && state.up)
			state.ws.send(JSON.stringify(obj));
	}

	function setConn(text, cls) {
		const c = $('conn');
		c.textContent = text;
		c.className = cls || '';
	}

	function connect() {
		if (!token) {
			$('notoken').hidden = false;
			setConn('no token', 'down');
			return;
		}
		const ws = new WebSocket(`ws://${location.host}/ws`);
		state.ws = ws;
		ws.onopen = () => {
			ws.send(JSON.stringify({ type: 'auth', token }));
		};
		ws.onmessage = (ev) => {
			let msg;
			try {
				msg = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			handle(msg);
		};
		ws.onclose = () => {
			state.up = false;
			state.ws = null;
			setConn('disconnected: reconnecting…', 'down');
			setTimeout(connect, state.retry);
			state.retry = Math.min(state.retry * 2, 8000);
		};
	}

	// --- events --------------------------------------------------------

	function handle(msg) {
		switch (msg.type) {
		case 'hello':
			state.up = true;
			state.retry = 500;
			state.upload_max = msg.upload_max;
			$('me').textContent = `${msg.nick} · ${msg.fp.slice(0, 12)}…`;
			$('me').title = msg.fp;
			setConn('connected', 'up');
			// After a reconnect, history is read again from the store.
			state.convs.forEach((c, name) => {
				if (name !== SYSTEM)
					state.convs.delete(name);
			});
			state.xfers.clear();
			state.rfiles.clear();
			break;
		case 'peers':
			state.peers.clear();
			state.order = [];
			for (const p of msg.peers)
				putPeer(p);
			drawPeers();
			// A room stays selected: the room list follows.
			select(state.peers.has(state.sel) || isRoom(state.sel) ? state.sel : SYSTEM);
			break;
		case 'peer':
			putPeer(msg.peer);
			drawPeers();
			if (msg.peer.name === state.sel)
				drawHead();
			break;
		case 'removed':
			state.peers.delete(msg.peer);
			state.order = state.order.filter((n) => n !== msg.peer);
			drawPeers();
			if (state.sel === msg.peer)
				select(SYSTEM);
			break;
		case 'message':
			addLine(msg.peer, {
				id: msg.id, outgoing: msg.outgoing, text: msg.text,
				time: msg.time, delivered: false,
			}, false);
			if (!msg.outgoing && msg.peer !== state.sel) {
				state.unread.set(msg.peer, (state.unread.get(msg.peer) || 0) + 1);
				drawPeers();
			} else if (!msg.outgoing && document.visibilityState === 'visible') {
				send({ type: 'read', peer: msg.peer }); // read as it comes
			}
			break;
		case 'delivered': {
			const c = conv(msg.peer);
			const it = c.ids.get(msg.id);
			if (it) {
				it.delivered = true;
				if (msg.peer === state.sel)
					drawLog();
			}
			break;
		}
		case 'history':
			addHistory(msg);
			break;
		case 'notice':
			addSys(msg.peer || SYSTEM, msg.level, msg.text);
			break;
		case 'reply':
			addSys(state.sel, msg.level, msg.text);
			status(msg.text, msg.level);
			break;
		case 'flip':
			putFlip(msg);
			break;
		case 'file':
			state.xfers.set(msg.num, msg);
			drawXfers();
			break;
		case 'rooms':
			state.rooms.clear();
			for (const r of msg.rooms)
				state.rooms.set('#' + r.name, r);
			drawPeers();
			if (isRoom(state.sel)) {
				if (state.rooms.has(state.sel))
					drawHead();
				else
					select(SYSTEM);
			}
			break;
		case 'rmsg': {
			const key = '#' + msg.room;
			addLine(key, {
				who: msg.who, outgoing: msg.outgoing, text: msg.text,
				time: msg.time, delivered: true,
			}, false);
			if (key === state.sel && document.visibilityState === 'visible')
				send({ type: 'read', room: msg.room });
			else if (!msg.outgoing && key !== state.sel) {
				state.unread.set(key, (state.unread.get(key) || 0) + 1);
				drawPeers();
			}
			break;
		}
		case 'rnotice':
			addSys('#' + msg.room, 'info', msg.text);
			break;
		case 'rhistory':
			addRoomHistory(msg);
			break;
		case 'rfile': {
			const old = state.rfiles.get(msg.num);
			state.rfiles.set(msg.num, msg);
			// Finished: what we hold of the room's files changed.
			if (msg.done && old && !old.done && isRoom(state.sel))
				send({ type: 'rfiles', room: state.sel.slice(1) });
			if (isRoom(state.sel))
				drawXfers();
			break;
		}
		case 'rfiles':
			state.roomFiles.set(msg.room, msg.files);
			if (state.sel === '#' + msg.room)
				drawXfers();
			break;
		case 'ready':
			break;
		default:
			break; // newer servers may say more: ignore what we do not know
		}
	}

	function isRoom(name) {
		return name.startsWith('#');
	}

	// A room's history (oldest first) before what arrived meanwhile.
	function addRoomHistory(msg) {
		const key = '#' + msg.room;
		const c = conv(key);
		const same = (it) => `${it.time}\u0000${it.who}\u0000${it.text}`;
		const hist = msg.lines.map((l) => ({
			who: l.who, text: l.text, time: l.time, delivered: true,
			outgoing: false,
		}));
		const seen = new Set(hist.map(same));
		c.items = hist.concat(c.items.filter((it) => it.sys || !seen.has(same(it))));
		c.loaded = true;
		c.more = false;
		if (key === state.sel) {
			drawLog(false);
			$('log').scrollTop = $('log').scrollHeight;
		}
	}

	function putPeer(p) {
		if (!state.peers.has(p.name))
			state.order.push(p.name);
		state.peers.set(p.name, p);
	}

	function addLine(name, line, older) {
		const c = conv(name);
		if (line.id && c.ids.has(line.id)) {
			const it = c.ids.get(line.id);
			it.delivered = it.delivered || line.delivered;
			return;
		}
		if (line.id)
			c.ids.set(line.id, line);
		if (older)
			c.items.unshift(line);
		else
			c.items.push(line);
		if (name === state.sel)
			drawLog(!older);
	}

	function addSys(name, level, text) {
		addLine(name, { sys: true, level, text, time: Date.now() }, false);
	}

	function addHistory(msg) {
		const c = conv(msg.peer);
		c.loaded = true;
		c.more = msg.more;
		// Newest first: each goes before what we have.
		for (const l of msg.lines) {
			if (!c.oldest || l.rowid < c.oldest)
				c.oldest = l.rowid;
			addLine(msg.peer, {
				id: l.id, outgoing: l.outgoing, text: l.text,
				time: l.time, delivered: l.delivered,
			}, true);
		}
		if (msg.peer === state.sel) {
			const log = $('log');
			const before = log.scrollHeight - log.scrollTop;
			drawLog(false);
			if (msg.before)
				log.scrollTop = log.scrollHeight - before; // keep the view
			else
				log.scrollTop = log.scrollHeight;
		}
	}

	function putFlip(f) {
		const c = conv(f.peer);
		let it = state.flips.get(f.id);
		if (!it) {
			it = { flip: f, time: Date.now() };
			state.flips.set(f.id, it);
			c.items.push(it);
		}
		it.flip = f;
		if (f.peer === state.sel)
			drawLog(true);
	}

	function status(text, level) {
		const s = $('status');
		s.textContent = text;
		s.className = level === 'error' ? 'error' : '';
	}

	// --- drawing -------------------------------------------------------

	function drawPeers() {
		const ul = $('peers');
		ul.replaceChildren();
		const entries = [[SYSTEM, null]].concat(state.order.map((n) => [n, state.peers.get(n)]));
		entries.forEach(([name, p], i) => {
			const li = el('li', p ? p.state : 'system');
			ul.append(li);
			const b = el('button');
			b.type = 'button';
			b.dataset.peer = name;
			b.setAttribute('aria-current', name === state.sel ? 'true' : 'false');
			b.append(el('span', 'dot'));
			b.append(el('span', 'name', p ? p.name : 'system'));
			// Ours, or the server's (beside the terminal, its count).
			const n = !p || name === state.sel ? 0
			    : Math.max(state.unread.get(name) || 0, p.unread || 0);
			if (n > 0)
				b.append(el('span', 'unread', n));
			b.title = p ? `${p.state_text}${p.nick ? ' · ' + p.nick : ''}${p.fp ? '\n' + p.fp : ''}` : 'notices';
			if (i < 10)
				b.title += `\nAlt+${i}`;
			b.addEventListener('click', () => select(name));
			li.append(b);
		});
		let i = entries.length;
		for (const [key, r] of state.rooms) {
			const li = el('li', 'room' + (r.online > 1 ? ' online' : ''));
			const b = el('button');
			b.type = 'button';
			b.dataset.room = r.name;
			b.setAttribute('aria-current', key === state.sel ? 'true' : 'false');
			b.append(el('span', 'dot'));
			b.append(el('span', 'name', key));
			b.append(el('span', 'count', `${r.online}/${r.members}`));
			const n = key === state.sel ? 0 : Math.max(state.unread.get(key) || 0, r.unread || 0);
			if (n > 0)
				b.append(el('span', 'unread', n));
			b.title = `${r.topic ? r.topic + '\n' : ''}${r.online} of ${r.members} members online`;
			if (i < 10)
				b.title += `\nAlt+${i}`;
			i++;
			b.addEventListener('click', () => select(key));
			li.append(b);
			ul.append(li);
		}
	}

	function drawHead() {
		const p = state.peers.get(state.sel);
		const r = state.rooms.get(state.sel);
		$('title').textContent = r ? state.sel : p ? p.name : 'system';
		if (r)
			$('state').textContent = `${r.topic ? r.topic + ' · ' : ''}${r.online} of ${r.members} members online${r.active ? '' : ' · you left'}`;
		else
			$('state').textContent = p ? p.state_text + (p.nick && p.nick !== p.name ? ` · ${p.nick}` : '') : '';
		$('accept').hidden = !p || p.state !== 'request';
		$('decline').hidden = !p || p.state !== 'request';
		$('flip').hidden = !p || p.state !== 'online';
		$('attach').hidden = !p || p.state === 'request';
	}

	function lineItem(it) {
		if (it.flip) {
			const f = it.flip;
			const li = el('li', 'sys flip');
			li.append(el('span', 'time', hhmm(it.time)));
			li.append(el('span', null, `${f.text} `));
			const d = el('details');
			d.append(el('summary', null, 'proof'));
			const rows = [['commitment', f.commitment], ['a', f.a], ['b', f.b]];
			for (const [k, v] of rows) {
				const div = el('div');
				div.append(el('span', null, `${k}: `), el('code', null, v || '—'));
				d.append(div);
			}
			li.append(d);
			return li;
		}
		if (it.sys) {
			const li = el('li', 'sys ' + (it.level || 'info'));
			li.append(el('span', 'time', hhmm(it.time)), el('span', null, it.text));
			return li;
		}
		let text = it.text;
		const action = text.startsWith('/me ');
		if (action)
			text = text.slice(4);
		const li = el('li', (it.outgoing ? 'out' : 'in') + (action ? ' action' : '') +
		    (it.outgoing && !it.delivered ? ' pending' : ''));
		li.append(el('span', 'time', hhmm(it.time)));
		li.append(el('span', 'who', (action ? '* ' : '') +
		    (it.outgoing ? 'you' : it.who !== undefined ? it.who : state.sel)));
		li.append(el('span', 'text', text));
		if (it.outgoing && !it.delivered)
			li.title = 'pending: not yet delivered';
		return li;
	}

	function drawLog(stick) {
		const log = $('log');
		const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
		const c = conv(state.sel);
		log.replaceChildren();
		if (state.sel !== SYSTEM && c.more && c.loaded)
			log.append(el('li', 'older', 'scroll up for older messages'));
		for (const it of c.items)
			log.append(lineItem(it));
		if (stick && atEnd)
			log.scrollTop = log.scrollHeight;
	}

	function fmtSize(n) {
		if (n < 1024)
			return `${n} B`;
		if (n < 1048576)
			return `${(n / 1024).toFixed(1)} KiB`;
		return `${(n / 1048576).toFixed(1)} MiB`;
	}

	// A transfer's row: number, arrow, name and progress bar.
	function xferRow(cls, num, arrow, x) {
		const li = el('li', cls);
		li.append(el('span', null, `#${num} ${arrow}`));
		li.append(el('span', 'fname', x.name));
		const pr = el('progress');
		pr.max = x.size || 1;
		pr.value = x.size ? x.bytes : 1;
		pr.setAttribute('aria-label', `${x.name}: ${x.state}`);
		li.append(pr);
		return li;
	}

	// A room's files being downloaded: bar, sources, rate; then every
	// file announced in the room, with who shares it, what we hold of
	// it, and a Download button for those we have nothing of.
	function drawRoomFiles(ul) {
		const room = state.sel.slice(1);
		for (const f of state.rfiles.values()) {
			if (f.done || !f.rooms.includes(room))
				continue;
			const li = xferRow('rfile', f.num, '⇩', f);
			const from = f.sources === 0 ? 'waiting for a member that has it'
			    : `${f.sources} source${f.sources === 1 ? '' : 's'}` +
			      (f.rate > 0 ? ` · ${fmtSize(f.rate)}/s` : '');
			li.append(el('span', null, `${fmtSize(f.bytes)} / ${fmtSize(f.size)} · ${from}`));
			ul.append(li);
		}
		for (const f of state.roomFiles.get(room) || []) {
			const li = el('li', 'rshared');
			li.append(el('span', 'fname', f.name));
			// While it arrives, its rfile says more than this list.
			const dl = [...state.rfiles.values()].find((x) => x.root === f.root);
			const held = dl ? (dl.done ? f.size : -2) : f.have;
			const have = held === -1 ? '' : held === -2 ? ' · downloading'
			    : held >= f.size ? ' · you have it'
			    : ` · you have ${Math.floor(held * 100 / (f.size || 1))}%`;
			li.append(el('span', null, `${fmtSize(f.size)} · from ${f.who}${have}`));
			if (held === -1) {
				const d = el('button', null, 'Download');
				d.type = 'button';
				d.addEventListener('click', () => {
					d.disabled = true;
					send({ type: 'rdownload', room, root: f.root });
					send({ type: 'rfiles', room });
				});
				li.append(d);
			}
			ul.append(li);
		}
	}

	function drawXfers() {
		const ul = $('xfers');
		ul.replaceChildren();
		if (isRoom(state.sel)) {
			drawRoomFiles(ul);
			return;
		}
		for (const x of state.xfers.values()) {
			if (state.sel !== SYSTEM && x.peer !== state.sel)
				continue;
			if (x.state === 'cancelled' && x.dir === 'in')
				continue;
			const li = xferRow('', x.num, x.dir === 'in' ? '⇩' : '⇧', x);
			li.append(el('span', null, `${fmtSize(x.bytes)} / ${fmtSize(x.size)} ${x.state}`));
			if (x.dir === 'in' && x.state === 'offered') {
				const a = el('button', null, 'Accept');
				a.type = 'button';
				a.addEventListener('click', () => line(`/accept #${x.num}`));
				const d = el('button', null, 'Decline');
				d.type = 'button';
				d.addEventListener('click', () => line(`/decline #${x.num}`));
				li.append(a, d);
			} else if (x.saved) {
				const o = el('button', null, 'Open');
				o.type = 'button';
				o.addEventListener('click', () => openFile(x));
				li.append(o);
			} else if (x.state === 'active' || x.state === 'offered' || x.state === 'hashing') {
				const c = el('button', null, 'Cancel');
				c.type = 'button';
				c.addEventListener('click', () => line(`/cancel #${x.num}`));
				li.append(c);
			}
			if (x.error)
				li.append(el('span', 'error', x.error));
			ul.append(li);
		}
	}

	function select(name) {
		state.sel = name;
		state.unread.delete(name);
		drawPeers();
		drawHead();
		drawXfers();
		const c = conv(name);
		if (isRoom(name)) {
			send({ type: 'read', room: name.slice(1) });
			send({ type: 'rfiles', room: name.slice(1) });
			if (!c.loaded)
				send({ type: 'rhistory', room: name.slice(1), limit: 200 });
		} else if (name !== SYSTEM) {
			send({ type: 'read', peer: name });
			if (!c.loaded)
				send({ type: 'history', peer: name, limit: 50 });
		}
		drawLog(false);
		const log = $('log');
		log.scrollTop = log.scrollHeight;
	}

	// --- actions ---------------------------------------------------------

	function line(text) {
		const msg = { type: 'line', text };
		if (isRoom(state.sel))
			msg.room = state.sel.slice(1);
		else if (state.sel !== SYSTEM)
			msg.peer = state.sel;
		send(msg);
	}

	async function openFile(x) {
		const r = await fetch(`/files/${x.num}`, { headers: { 'X-P2ptui-Token': token } });
		if (!r.ok) {
			status(`cannot open ${x.name}: ${r.status}`, 'error');
			return;
		}
		const url = URL.createObjectURL(await r.blob());
		const a = el('a');
		a.href = url;
		a.download = x.name;
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 60000);
	}

	async function upload(file) {
		// Offered to the peer shown, or shared in the room shown.
		const peer = state.sel;
		if (peer === SYSTEM)
			return;
		const room = isRoom(peer);
		if (state.upload_max && file.size > state.upload_max) {
			status(`${file.name} is larger than upload_max`, 'error');
			return;
		}
		status(`uploading ${file.name}…`);
		let r;
		try {
			r = await fetch('/upload', {
				method: 'POST', body: file,
				headers: {
					'X-P2ptui-Token': token,
					[room ? 'X-P2ptui-Room' : 'X-P2ptui-Peer']: room ? peer.slice(1) : peer,
					'X-P2ptui-Name': encodeURIComponent(file.name),
				},
			});
		} catch (e) {
			status(`upload failed: ${e}`, 'error');
			return;
		}
		let res = {};
		try {
			res = await r.json();
		} catch (e) {
			res = { ok: false, replies: [{ level: 'error', text: `upload: HTTP ${r.status}` }] };
		}
		for (const rep of res.replies || [])
			addSys(peer, rep.level, rep.text);
		status(res.ok ? (room ? `sharing ${file.name} in ${peer}` : `offered ${file.name} to ${peer}`)
		    : `could not ${room ? 'share' : 'offer'} ${file.name}`, res.ok ? 'info' : 'error');
	}

	function submit() {
		const input = $('input');
		const text = input.value;
		if (text.trim() === '')
			return;
		if (!state.up) {
			status('not connected: the line was kept', 'error');
			return;
		}
		line(text);
		input.value = '';
		input.rows = 1;
	}

	document.addEventListener('DOMContentLoaded', () => {
		drawPeers();
		drawHead();
		$('form').addEventListener('submit', (e) => {
			e.preventDefault();
			submit();
		});
		$('input').addEventListener('keydown', (e) => {
			// Enter sends, Shift+Enter or Alt+Enter adds a line.
			if (e.key === 'Enter' && !e.shiftKey && !e.altKey) {
				e.preventDefault();
				submit();
			} else if (e.key === 'Enter') {
				e.preventDefault();
				const t = e.target;
				const p = t.selectionStart;
				t.value = t.value.slice(0, p) + '\n' + t.value.slice(t.selectionEnd);
				t.selectionStart = t.selectionEnd = p + 1;
				t.rows = Math.min(6, t.value.split('\n').length);
			}
		});
		document.addEventListener('keydown', (e) => {
			// Alt+0..9 picks a conversation, Alt+Up/Down the next one.
			if (!e.altKey)
				return;
			const names = [SYSTEM].concat(state.order, [...state.rooms.keys()]);
			let i = names.indexOf(state.sel);
			if (/^[0-9]$/.test(e.key))
				i = Number(e.key);
			else if (e.key === 'ArrowDown')
				i = (i + 1) % names.length;
			else if (e.key === 'ArrowUp')
				i = (i + names.length - 1) % names.length;
			else
				return;
			if (i < names.length) {
				e.preventDefault();
				select(names[i]);
				$('input').focus();
			}
		});
		$('log').addEventListener('scroll', () => {
			const c = conv(state.sel);
			if (state.sel !== SYSTEM && !isRoom(state.sel) && $('log').scrollTop < 20 && c.more && c.loaded &&
			    !c.asked) {
				c.asked = true;
				send({ type: 'history', peer: state.sel, before: c.oldest, limit: 50 });
				setTimeout(() => { c.asked = false; }, 500);
			}
		});
		$('accept').addEventListener('click', () => line(`/accept ${state.sel}`));
		$('decline').addEventListener('click', () => line(`/decline ${state.sel}`));
		$('flip').addEventListener('click', () => line(`/flip ${state.sel}`));
		$('attach').addEventListener('click', () => $('file').click());
		$('file').addEventListener('change', (e) => {
			const f = e.target.files[0];
			e.target.value = '';
			if (f)
				upload(f);
		});
		$('input').focus();
		connect();
	});
}());
