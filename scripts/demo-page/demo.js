// make demo's page: see index.html.
'use strict';
(async function () {
	const q = new URLSearchParams(location.search);
	const api = q.get('api') || 'http://127.0.0.1:8080';
	document.getElementById('page').textContent = location.origin;
	document.getElementById('api').textContent = api;
	const cases = [
		{ id: 'allowed_get', what: 'allowed GET', path: '/echo.sh', init: {} },
		{ id: 'preflighted_put', what: 'preflighted PUT', path: '/echo.sh',
		  init: { method: 'PUT', headers: { 'X-Custom-Header': 'demo' }, body: 'hello' } },
		{ id: 'refused_origin', what: 'refused origin ([path /cors] allows only http://x.com)',
		  path: '/cors', init: {} },
		{ id: 'refused_method', what: 'refused method (PATCH is not in allow_methods)',
		  path: '/echo.sh', init: { method: 'PATCH', body: 'hello' } },
		{ id: 'credentialed', what: "credentialed (credentials: 'include')", path: '/echo.sh',
		  init: { credentials: 'include' } },
		{ id: 'exposed_header', what: 'exposed header (X-Total-Count)', path: '/echo.sh',
		  init: {}, header: 'X-Total-Count' },
	];
	const sq = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
	// the request as DevTools' "Copy as cURL (bash)" writes it
	const curl = (c) => {
		const m = c.init.method || 'GET';
		const parts = ['curl ' + sq(api + c.path)];
		if (m !== 'GET') parts.push('-X ' + sq(m));
		parts.push("-H 'accept: */*'");
		if (c.init.body !== undefined)
			parts.push("-H 'content-type: text/plain;charset=UTF-8'");
		parts.push('-H ' + sq('origin: ' + location.origin));
		for (const [k, v] of Object.entries(c.init.headers || {}))
			parts.push('-H ' + sq(k.toLowerCase() + ': ' + v));
		if (c.init.body !== undefined) parts.push('--data-raw ' + sq(c.init.body));
		return parts.join(' ');
	};
	const tbody = document.getElementById('rows');
	const results = [];
	const cell = (tr, cls, text, code) => {
		const td = document.createElement('td');
		td.className = cls;
		if (code) {
			const c = document.createElement('code');
			c.textContent = text;
			td.appendChild(c);
		} else {
			td.textContent = text;
		}
		tr.appendChild(td);
		return td;
	};
	for (const c of cases) {
		const tr = document.createElement('tr');
		tr.className = 'running';
		tr.dataset.case = c.id;
		const out = cell(tr, 'outcome', '…');
		cell(tr, 'what', c.what + ': fetch(' + sq(api + c.path) + ', ' +
			JSON.stringify(c.init) + ')');
		const read = cell(tr, 'read', '');
		const creds = c.init.credentials === 'include' ? ' --credentials include' : '';
		cell(tr, 'cmd', 'corsgate explain -c etc/cors.ini' + creds + ' -- ' + curl(c), true);
		tbody.appendChild(tr);
		let verdict, text;
		try {
			const r = await fetch(api + c.path, c.init);
			const body = (await r.text()).slice(0, 160);
			verdict = 'readable';
			text = 'status ' + r.status +
				(c.header ? ', ' + c.header + ': ' + r.headers.get(c.header) : '') +
				', body ' + body.trim();
		} catch (e) {
			verdict = 'blocked';
			text = 'nothing: ' + e + ' (the console says why)';
		}
		tr.className = verdict;
		tr.dataset.outcome = verdict;
		out.textContent = verdict;
		read.textContent = text;
		results.push(['RESULT', c.id, verdict, text.replace(/\s+/g, ' ')].join('\t'));
	}
	results.push('DONE\t' + cases.length);
	document.getElementById('results').textContent = '\n' + results.join('\n') + '\n';
})();
