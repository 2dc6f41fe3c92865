// The browser suite's page script: see cors.html and cases.txt.
'use strict';
(async function () {
	const q = new URLSearchParams(location.search);
	const api = q.get('api');
	const front = q.get('front');
	const out = [];
	const show = () => {
		document.getElementById('results').textContent =
			'\n' + out.join('\n') + '\n';
	};
	const clean = (s) => String(s).replace(/[\t\r\n]+/g, ' ').slice(0, 400);
	// A cookie on 127.0.0.1: cookies ignore ports, and 127.0.0.1:P1 and
	// 127.0.0.1:P2 are one site, so SameSite=Lax lets it go with
	// credentials: 'include' (and never without it: credentials 'omit').
	document.cookie = 'cg_sid=' + q.get('sid') + '; path=/; SameSite=Lax';

	let rows;
	try {
		const t = await (await fetch('cases.txt')).text();
		rows = t.split('\n')
			.filter((l) => l.trim() !== '' && !l.startsWith('#'))
			.map((l) => l.split('|').map((c) => c.trim()));
	} catch (e) {
		out.push('ERROR\tcases.txt: ' + clean(e));
		show();
		return;
	}
	for (const [name, method, path, header, creds, n] of rows) {
		const url = api + path + '?front=' + encodeURIComponent(front) +
			'&case=' + encodeURIComponent(name);
		const init = { method, credentials: creds === 'include' ? 'include' : 'omit' };
		if (header !== '-') {
			const i = header.indexOf(':');
			init.headers = { [header.slice(0, i).trim()]: header.slice(i + 1).trim() };
		}
		if (method === 'PUT' || method === 'PATCH' || method === 'POST')
			init.body = 'hello';
		let verdict = 'readable', status = '-', xtc = '-', body = '-';
		for (let i = 0; i < Number(n); i++) {
			try {
				const r = await fetch(url, init);
				status = String(r.status);
				xtc = String(r.headers.get('X-Total-Count'));
				body = clean(await r.text());
			} catch (e) {
				// what a page learns of a CORS failure: a TypeError, no more
				verdict = 'blocked';
				status = '-';
				xtc = '-';
				body = clean(e);
				break;
			}
		}
		out.push(['RESULT', name, verdict, status, xtc, body].join('\t'));
		show();
	}
	out.push('DONE\t' + rows.length);
	show();
})();
