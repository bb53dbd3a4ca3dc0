/*
 * app.js - the officers' web UI of kastro-console: one page whose hash
 * routes (#/dashboard, #/alerts, #/alerts/ID, #/sensors, #/users, #/audit,
 * #/account) talk to the REST API of docs/rest-api.md under /api/v1.
 *
 * Assumes: the console serves this file, index.html, style.css and the two
 * string tables (i18n-en.js, i18n-el.js: window.KASTRO_I18N.en and .el)
 * itself, under a Content-Security-Policy that allows scripts and styles
 * from 'self' only. So: no inline script, no style attribute, no library,
 * nothing fetched from elsewhere; the chart is SVG drawn here.
 *
 * Escaping: every piece of data reaches the page through el()/svg() below,
 * as a text node or an attribute set through the DOM; innerHTML is never
 * used. Links carry only our own "#/..." routes with encoded ids.
 *
 * Sessions: the console keeps the session in an HttpOnly cookie; this file
 * holds only the CSRF token that login and GET /me return, and sends it as
 * X-CSRF-Token with every request that changes something. A 401 from any
 * call but login shows the login form again and returns to the same page.
 */
(function () {
	'use strict';

	var STRINGS = window.KASTRO_I18N || {};
	var LANGS = ['el', 'en'];
	var LANG_KEY = 'kastro.lang';
	var PAGE = 50;                  /* alerts and audit entries per page */
	var REFRESH_MS = 60000;         /* dashboard refresh */
	var SENSORS_TTL_MS = 60000;     /* sensor names cached for the alert list */
	var SVGNS = 'http://www.w3.org/2000/svg';

	var S = {
		lang: 'en',
		me: null,           /* GET /me answer: {user: USER, csrf} */
		userName: '',
		csrf: '',
		role: '',           /* admin, analyst, viewer; '' while unknown */
		gen: 0,             /* bumped per page: answers for an older page are dropped */
		timer: null,        /* dashboard refresh */
		returnTo: '',       /* route to show after a login */
		loginNote: '',      /* message key shown above the login form */
		sensors: null,      /* {at, list, byId} */
		pager: { key: '', stack: [] },      /* alert list: cursors of the pages before */
		auditPager: { stack: [] },
		flashTimer: null,
		lastList: ''        /* the alert list's route, for the alert page's back link */
	};

	/* ---- strings ----------------------------------------------------------- */

	/* The string key in the chosen language ({name} filled from vars); the
	 * English one when a translation is missing; the key itself if neither. */
	function t(key, vars) {
		var s = (STRINGS[S.lang] || {})[key];
		if (s === undefined)
			s = (STRINGS.en || {})[key];
		if (s === undefined)
			return key;
		if (vars) {
			s = s.replace(/\{(\w+)\}/g, function (m, k) {
				return vars[k] !== undefined && vars[k] !== null ? String(vars[k]) : m;
			});
		}
		return s;
	}

	function pickLang() {
		var saved = null;
		try {
			saved = window.localStorage.getItem(LANG_KEY);
		} catch (e) { /* storage off: choose from the browser each time */ }
		if (LANGS.indexOf(saved) >= 0)
			return saved;
		var nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
		return nav.toLowerCase().indexOf('el') === 0 ? 'el' : 'en';
	}

	function setLang(lang) {
		if (LANGS.indexOf(lang) < 0)
			lang = 'en';
		S.lang = lang;
		try {
			window.localStorage.setItem(LANG_KEY, lang);
		} catch (e) { /* not remembered, still switched */ }
		document.documentElement.setAttribute('lang', lang);
		var sw = document.getElementById('lang-switch');
		if (sw)
			sw.value = lang;
		applyStatic();
	}

	/* Fill the texts of index.html's fixed parts (data-i18n: text,
	 * data-i18n-label: aria-label). */
	function applyStatic() {
		document.querySelectorAll('[data-i18n]').forEach(function (n) {
			n.textContent = t(n.getAttribute('data-i18n'));
		});
		document.querySelectorAll('[data-i18n-label]').forEach(function (n) {
			n.setAttribute('aria-label', t(n.getAttribute('data-i18n-label')));
		});
		setOrg();
		if (S.me)
			setUserBox();
	}

	/* ---- DOM building: the only way this file makes markup ------------------ */

	function append(n, kids) {
		if (kids === null || kids === undefined || kids === false)
			return;
		if (!Array.isArray(kids))
			kids = [kids];
		kids.forEach(function (c) {
			if (c === null || c === undefined || c === false)
				return;
			if (Array.isArray(c))
				append(n, c);
			else if (typeof c === 'string' || typeof c === 'number')
				n.appendChild(document.createTextNode(String(c)));
			else
				n.appendChild(c);
		});
	}

	/* attrs: "onX" adds a listener, "text" sets textContent, "value" and
	 * "checked" set the property (after the children, so a select's options
	 * exist), true sets an empty attribute, null/undefined/false skip. */
	function el(tag, attrs, kids) {
		var n = document.createElement(tag);
		var late = {};
		if (attrs) {
			Object.keys(attrs).forEach(function (k) {
				var v = attrs[k];
				if (v === null || v === undefined || v === false)
					return;
				if (k.slice(0, 2) === 'on' && typeof v === 'function')
					n.addEventListener(k.slice(2), v);
				else if (k === 'text')
					n.textContent = String(v);
				else if (k === 'value' || k === 'checked')
					late[k] = v;
				else if (v === true)
					n.setAttribute(k, '');
				else
					n.setAttribute(k, String(v));
			});
		}
		append(n, kids);
		Object.keys(late).forEach(function (k) {
			n[k] = late[k];
		});
		return n;
	}

	function svg(tag, attrs, kids) {
		var n = document.createElementNS(SVGNS, tag);
		if (attrs) {
			Object.keys(attrs).forEach(function (k) {
				if (attrs[k] !== null && attrs[k] !== undefined)
					n.setAttribute(k, String(attrs[k]));
			});
		}
		if (typeof kids === 'string' || typeof kids === 'number')
			n.textContent = String(kids);
		else if (kids)
			append(n, kids);
		return n;
	}

	function clear(n) {
		while (n.firstChild)
			n.removeChild(n.firstChild);
		return n;
	}

	function $(id) {
		return document.getElementById(id);
	}

	/* ---- formatting ---------------------------------------------------------- */

	function locale() {
		return S.lang === 'el' ? 'el-GR' : 'en-GB';
	}

	function num(v) {
		var n = Number(v);
		return isFinite(n) ? n : 0;
	}

	function fmtNum(v) {
		return num(v).toLocaleString(locale());
	}

	/* Unix seconds as local date and time; a dash for 0 or nothing. */
	function fmtTime(ts) {
		if (!ts)
			return '—';
		return new Date(num(ts) * 1000).toLocaleString(locale(), {
			year: 'numeric', month: '2-digit', day: '2-digit',
			hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false
		});
	}

	function fmtAgo(ts) {
		if (!ts)
			return t('time.never');
		var d = num(ts) - Date.now() / 1000;
		var a = Math.abs(d);
		var rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
		if (a < 60)
			return rtf.format(Math.round(d), 'second');
		if (a < 3600)
			return rtf.format(Math.round(d / 60), 'minute');
		if (a < 86400)
			return rtf.format(Math.round(d / 3600), 'hour');
		return rtf.format(Math.round(d / 86400), 'day');
	}

	/* A time element: relative text, the exact time as a tooltip. */
	function agoEl(ts) {
		return el('time', { datetime: ts ? new Date(num(ts) * 1000).toISOString() : null, title: fmtTime(ts) },
			fmtAgo(ts));
	}

	function timeEl(ts) {
		return el('time', { datetime: ts ? new Date(num(ts) * 1000).toISOString() : null }, fmtTime(ts));
	}

	function sevOf(v) {
		var s = Math.round(num(v));
		return s >= 1 && s <= 4 ? s : 4;
	}

	function sevBadge(v) {
		var s = sevOf(v);
		return el('span', { class: 'sev sev-' + s, 'data-sev': s }, t('sev.' + s));
	}

	var STATUSES = ['new', 'acknowledged', 'resolved'];

	function statusBadge(st, id) {
		var k = STATUSES.indexOf(st) >= 0 ? st : 'other';
		return el('span', { class: 'status status-' + k, id: id || null, 'data-status': st },
			k === 'other' ? String(st) : t('status.' + k));
	}

	function roleName(r) {
		return ['admin', 'analyst', 'viewer'].indexOf(r) >= 0 ? t('role.' + r) : String(r || '');
	}

	function kindName(prefix, k) {
		var key = prefix + k;
		var s = t(key);
		return s === key ? String(k || '') : s;
	}

	/* Local "YYYY-MM-DDTHH:MM" (datetime-local) from and to Unix seconds. */
	function toLocalInput(ts) {
		if (!ts)
			return '';
		var d = new Date(num(ts) * 1000);
		function p(x) { return (x < 10 ? '0' : '') + x; }
		return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' +
			p(d.getHours()) + ':' + p(d.getMinutes());
	}

	function fromLocalInput(s) {
		if (!s)
			return 0;
		var ms = new Date(s).getTime();
		return isFinite(ms) ? Math.floor(ms / 1000) : 0;
	}

	/* ---- the API ---------------------------------------------------------------- */

	/*
	 * One request to /api/v1 + path. Resolves to the JSON answer; rejects
	 * with an Error whose .status is the HTTP status (0: no answer) and
	 * .data the JSON error object. A 401 outside login ends the session here.
	 */
	function api(method, path, body) {
		var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
		if (method !== 'GET') {
			opts.headers['X-CSRF-Token'] = S.csrf;
			opts.headers['Content-Type'] = 'application/json';
			opts.body = JSON.stringify(body === undefined ? {} : body);
		}
		return fetch('/api/v1' + path, opts).then(function (r) {
			return r.text().then(function (txt) {
				var data = null;
				try {
					data = txt ? JSON.parse(txt) : null;
				} catch (e) {
					data = null;
				}
				if (r.ok && data && typeof data === 'object')
					return data;
				var err = new Error((data && data.error) || t('err.http', { status: r.status }));
				err.status = r.ok ? 502 : r.status;
				err.data = data || {};
				if (r.status === 401 && path !== '/login' && S.me)
					sessionLost();
				throw err;
			});
		}, function () {
			var err = new Error(t('err.network'));
			err.status = 0;
			err.data = {};
			throw err;
		});
	}

	/* What to tell the officer about a failed call. */
	function errText(e) {
		if (!e)
			return t('err.unknown');
		if (e.status === 403 && /role/.test(e.message || ''))
			return t('err.forbidden') + ' (' + e.message + ')';
		if (e.status === 0)
			return t('err.network');
		return e.message || t('err.unknown');
	}

	function errorBox(e, what) {
		return el('p', { class: 'error', role: 'alert' }, (what ? what + ': ' : '') + errText(e));
	}

	function qs(params) {
		var u = new URLSearchParams();
		Object.keys(params).forEach(function (k) {
			var v = params[k];
			if (v !== null && v !== undefined && v !== '')
				u.set(k, String(v));
		});
		var s = u.toString();
		return s ? '?' + s : '';
	}

	function flash(msg, kind) {
		var f = $('flash');
		if (!f)
			return;
		clear(f);
		f.className = 'flash' + (kind === 'error' ? ' flash-error' : '');
		f.appendChild(el('span', null, msg));
		f.hidden = false;
		if (S.flashTimer)
			clearTimeout(S.flashTimer);
		S.flashTimer = setTimeout(function () {
			f.hidden = true;
		}, kind === 'error' ? 10000 : 5000);
	}

	/* Run fn (a promise-returning call) with btn disabled meanwhile. */
	function busy(btn, fn) {
		if (btn)
			btn.disabled = true;
		return Promise.resolve().then(fn).finally(function () {
			if (btn && btn.isConnected)
				btn.disabled = false;
		});
	}

	function canAct() {
		return S.role !== 'viewer';
	}

	function isAdmin() {
		return S.role === 'admin';
	}

	/* ---- session ---------------------------------------------------------------- */

	function sessionLost() {
		S.me = null;
		S.userName = '';
		S.csrf = '';
		S.role = '';
		S.sensors = null;
		S.loginNote = 'login.expired';
		S.returnTo = location.hash;
		stopTimer();
		showShell();
		renderLogin();
	}

	/* After login or at start-up with a live session: who we are and what
	 * we may do. Login and GET /me answer {"user": USER, "csrf"}; should
	 * "user" be a bare name, the role is unknown and an admin is the one
	 * whom GET /users answers. */
	function startSession(me) {
		var u = me.user;
		S.me = me;
		S.csrf = me.csrf || S.csrf;
		if (u && typeof u === 'object') {
			S.userName = String(u.name || '');
			S.role = typeof u.role === 'string' ? u.role : '';
		} else {
			S.userName = String(u || '');
			S.role = typeof me.role === 'string' ? me.role : '';
		}
		S.loginNote = '';
		var ready = S.role ? Promise.resolve() : api('GET', '/users').then(function () {
			S.role = 'admin';
		}, function () {
			S.role = '';
		});
		return ready.then(function () {
			showShell();
			var to = S.returnTo && S.returnTo.indexOf('#/') === 0 ? S.returnTo : '';
			S.returnTo = '';
			if (to && to !== location.hash)
				location.hash = to;
			else if (!location.hash || location.hash === '#' || location.hash === '#/' ||
				 location.hash.indexOf('#/login') === 0)
				location.hash = '#/dashboard';
			else
				route();
		});
	}

	function setOrg() {
		var o = $('org-name');
		if (!o)
			return;
		var name = S.me && (S.me.organisation || S.me.organization || S.me.municipality);
		o.textContent = name ? String(name) : t('app.subtitle');
	}

	function setUserBox() {
		$('user-name').textContent = S.me ? S.userName : '';
		$('user-role').textContent = S.role ? roleName(S.role) : '';
		$('nav-users').hidden = !isAdmin();
	}

	/* Show or hide the parts of the top bar that need a session. */
	function showShell() {
		var inside = !!S.me;
		$('nav').hidden = !inside;
		$('user-menu').hidden = !inside;
		closeUserMenu();
		setOrg();
		if (inside)
			setUserBox();
	}

	function closeUserMenu() {
		var b = $('user-menu-button');
		b.setAttribute('aria-expanded', 'false');
		$('user-menu-list').hidden = true;
	}

	function logout() {
		api('POST', '/logout').catch(function () { /* gone either way */ }).then(function () {
			S.me = null;
			S.userName = '';
			S.csrf = '';
			S.role = '';
			S.sensors = null;
			S.loginNote = 'login.signed_out';
			S.returnTo = '';
			stopTimer();
			showShell();
			history.replaceState(null, '', '#/login');
			renderLogin();
		});
	}

	/* ---- pages: common -------------------------------------------------------- */

	function stopTimer() {
		if (S.timer) {
			clearTimeout(S.timer);
			S.timer = null;
		}
	}

	/* Clear the main area for a new page titled key; returns the main area. */
	function beginPage(key, sub) {
		var main = clear($('main'));
		document.title = (sub ? sub + ' · ' : '') + t(key) + ' · Kastro';
		return main;
	}

	function loading() {
		return el('p', { class: 'loading', role: 'status' }, t('common.loading'));
	}

	function pageHead(title, tools) {
		return el('div', { class: 'page-head' }, [el('h1', null, title), tools ? el('div', { class: 'page-tools' }, tools) : null]);
	}

	function card(title, kids, attrs) {
		var a = attrs || {};
		a.class = 'card' + (a.class ? ' ' + a.class : '');
		return el('section', a, [title ? el('h2', null, title) : null, kids]);
	}

	function field(label, input, hint) {
		var id = input.getAttribute('id');
		return el('div', { class: 'field' }, [
			el('label', { for: id }, label),
			input,
			hint ? el('p', { class: 'hint' }, hint) : null
		]);
	}

	/* A hidden user-name field for a password form, so that password
	 * managers know whose password it is. */
	function userField(name) {
		return el('input', { type: 'text', autocomplete: 'username', value: name, readonly: true,
			tabindex: -1, 'aria-hidden': 'true', class: 'visually-hidden' });
	}

	function selectEl(attrs, options, value) {
		var a = attrs || {};
		a.value = value;
		return el('select', a, options.map(function (o) {
			return el('option', { value: o[0] }, o[1]);
		}));
	}

	function table(attrs, heads, rows, emptyText) {
		var tb = el('tbody', null, rows);
		if (!rows.length) {
			tb.appendChild(el('tr', { class: 'empty' },
				el('td', { colspan: heads.length }, emptyText || t('common.none'))));
		}
		return el('div', { class: 'table-wrap' }, el('table', attrs, [
			el('thead', null, el('tr', null, heads.map(function (h) {
				return Array.isArray(h) ? el('th', { scope: 'col', class: h[1] }, h[0]) : el('th', { scope: 'col' }, h);
			}))),
			tb
		]));
	}

	function setActiveNav(page) {
		document.querySelectorAll('#nav a').forEach(function (a) {
			if (a.getAttribute('data-page') === page)
				a.setAttribute('aria-current', 'page');
			else
				a.removeAttribute('aria-current');
		});
	}

	/* The sensors, cached for a minute: names in the alert list and filters. */
	function getSensors(force) {
		if (!force && S.sensors && Date.now() - S.sensors.at < SENSORS_TTL_MS)
			return Promise.resolve(S.sensors);
		return api('GET', '/sensors').then(function (r) {
			var list = Array.isArray(r.sensors) ? r.sensors : [];
			var byId = {};
			list.forEach(function (s) {
				byId[s.id] = s;
			});
			S.sensors = { at: Date.now(), list: list, byId: byId };
			return S.sensors;
		});
	}

	function sensorName(id) {
		var s = S.sensors && S.sensors.byId[id];
		return s && s.hostname ? String(s.hostname) : String(id || '');
	}

	/* ---- router ------------------------------------------------------------------ */

	function parseHash() {
		var h = location.hash.replace(/^#\/?/, '');
		var q = '';
		var i = h.indexOf('?');
		if (i >= 0) {
			q = h.slice(i + 1);
			h = h.slice(0, i);
		}
		var parts = h.split('/').filter(Boolean).map(function (p) {
			try {
				return decodeURIComponent(p);
			} catch (e) {
				return p;
			}
		});
		return { parts: parts, query: new URLSearchParams(q) };
	}

	function route() {
		stopTimer();
		closeUserMenu();
		S.gen++;
		if (!S.me) {
			renderLogin();
			return;
		}
		var r = parseHash();
		var page = r.parts[0] || 'dashboard';
		setActiveNav(page);
		if (page === 'dashboard' || page === 'login')
			pageDashboard(r.query);
		else if (page === 'alerts' && r.parts[1])
			pageAlert(r.parts[1]);
		else if (page === 'alerts')
			pageAlerts(r.query);
		else if (page === 'sensors')
			pageSensors();
		else if (page === 'services' && r.parts[1] && window.KastroService)
			window.KastroService.page(ui, r.parts[1], r.query);
		else if (page === 'services' && window.KastroServices)
			window.KastroServices.page(ui, r.query);
		else if (page === 'sla' && window.KastroSLA)
			window.KastroSLA.page(ui, r.query);
		else if (page === 'quarantine' && window.KastroQuarantine)
			window.KastroQuarantine.page(ui, r.query);
		else if (page === 'users')
			pageUsers();
		else if (page === 'audit')
			pageAudit(r.query);
		else if (page === 'hooks' && r.parts[1])
			pageHookDeliveries(r.parts[1], r.query);
		else if (page === 'hooks')
			pageHooks();
		else if (page === 'account')
			pageAccount();
		else
			pageNotFound();
		var m = $('main');
		if (m && document.activeElement === document.body)
			m.focus({ preventScroll: true });
	}

	/* what pages in other files (services.js) draw with */
	var ui = { S: S, t: t, el: el, api: api, qs: qs, table: table, clear: clear,
		beginPage: beginPage, pageHead: pageHead, loading: loading, errorBox: errorBox,
		selectEl: selectEl, agoEl: agoEl, fmtNum: fmtNum, errText: errText, busy: busy, flash: flash };

	function pageNotFound() {
		var main = beginPage('notfound.title');
		append(main, [pageHead(t('notfound.title')),
			el('p', null, [t('notfound.text') + ' ', el('a', { href: '#/dashboard' }, t('nav.dashboard'))])]);
	}

	/* ---- login ---------------------------------------------------------------------- */

	function renderLogin() {
		S.gen++;            /* answers still on their way for a page before are dropped */
		stopTimer();
		var main = beginPage('login.title');
		document.title = t('login.title') + ' · Kastro';
		var err = el('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
		var user = el('input', { id: 'login-user', name: 'username', type: 'text', autocomplete: 'username',
			required: true, autocapitalize: 'none', spellcheck: 'false', maxlength: 64 });
		var pw = el('input', { id: 'login-password', name: 'password', type: 'password',
			autocomplete: 'current-password', required: true, maxlength: 1024 });
		var totp = el('input', { id: 'login-totp', name: 'totp', type: 'text', inputmode: 'numeric',
			autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
		/* Always shown, filled only by accounts with a second factor: the
		 * console answers a missing code as it does a wrong password. */
		var totpRow = field(t('login.totp'), totp, t('login.totp_hint'));
		totpRow.id = 'login-totp-row';
		var submit = el('button', { id: 'login-submit', type: 'submit', class: 'primary' }, t('login.submit'));
		var note = S.loginNote ? el('p', { class: 'notice', role: 'status', id: 'login-note' }, t(S.loginNote)) : null;

		function fail(msg) {
			err.textContent = msg;
			err.hidden = false;
		}

		var form = el('form', { id: 'login-form', class: 'login-form', novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			if (!user.value || !pw.value) {
				fail(t('login.missing'));
				return;
			}
			var body = { user: user.value, password: pw.value };
			if (totp.value) {
				if (!/^[0-9]{6}$/.test(totp.value)) {
					fail(t('login.totp_needed'));
					totp.focus();
					return;
				}
				body.totp = totp.value;
			}
			busy(submit, function () {
				return api('POST', '/login', body).then(function (r) {
					S.csrf = r.csrf || '';
					pw.value = '';
					return r.user ? startSession(r) : api('GET', '/me').then(startSession);
				}, function (e) {
					if (e.status === 429) {
						fail(t('login.wait', { s: num(e.data.retry_after) || 1 }));
					} else if (e.status === 401) {
						fail(t('login.bad'));
						pw.value = '';
						totp.value = '';
						pw.focus();
					} else {
						fail(errText(e));
					}
				});
			});
		} }, [
			field(t('login.user'), user),
			field(t('login.password'), pw),
			totpRow,
			submit
		]);
		append(main, el('div', { class: 'login' }, el('section', { class: 'card login-card' }, [
			el('h1', null, t('login.title')),
			el('p', { class: 'muted' }, t('login.intro')),
			note, err, form
		])));
		user.focus();
	}

	/* ---- dashboard ------------------------------------------------------------------ */

	var HOURS = [24, 168, 720];

	function pageDashboard(q) {
		var gen = S.gen;
		var hours = num(q && q.get('hours'));
		if (HOURS.indexOf(hours) < 0)
			hours = 24;
		var main = beginPage('nav.dashboard');
		var period = selectEl({ id: 'dash-hours', onchange: function () {
			location.hash = '#/dashboard' + qs({ hours: this.value === '24' ? '' : this.value });
		} }, HOURS.map(function (h) { return [String(h), t('dash.hours.' + h)]; }), String(hours));
		var body = el('div', { id: 'dash-body' }, loading());
		append(main, [pageHead(t('nav.dashboard'), [el('label', { for: 'dash-hours' }, t('dash.period')), period]), body]);

		function load() {
			Promise.all([api('GET', '/dashboard' + qs({ hours: hours })), getSensors(true).catch(function () { return null; })])
				.then(function (r) {
					if (gen !== S.gen)
						return;
					clear(body);
					renderDashboard(body, r[0] || {}, hours);
				}, function (e) {
					if (gen !== S.gen)
						return;
					clear(body);
					body.appendChild(errorBox(e, t('dash.load_failed')));
				}).then(function () {
					if (gen === S.gen)
						S.timer = setTimeout(load, REFRESH_MS);
				});
		}
		load();
	}

	function renderDashboard(root, d, hours) {
		var sev = d.open_by_severity || {};
		var total = 0;
		var cards = [1, 2, 3, 4].map(function (s) {
			var n = num(sev[String(s)]);
			total += n;
			return el('a', { class: 'sev-card sev-card-' + s, 'data-sev': s,
				href: '#/alerts' + qs({ status: 'open', severity_max: s }),
				title: t('dash.sev_link.' + s) }, [
				el('span', { class: 'sev-count', 'data-test': 'sev-count-' + s }, fmtNum(n)),
				el('span', { class: 'sev-label' }, [el('span', { class: 'dot sev-dot-' + s, 'aria-hidden': 'true' }), t('sev.' + s)])
			]);
		});
		var sens = d.sensors || {};
		var off = num(sens.offline);
		var sensorsBox = el('a', { id: 'dash-sensors', class: 'sensor-card' + (off ? ' has-offline' : ''), href: '#/sensors' }, [
			el('span', { class: 'sensor-stat' }, [el('span', { class: 'big', 'data-test': 'sensors-online' }, fmtNum(sens.online)),
				el('span', { class: 'label' }, [el('span', { class: 'dot dot-online', 'aria-hidden': 'true' }), t('sensors.online')])]),
			el('span', { class: 'sensor-stat' }, [el('span', { class: 'big', 'data-test': 'sensors-offline' }, fmtNum(off)),
				el('span', { class: 'label' }, [el('span', { class: 'dot dot-offline', 'aria-hidden': 'true' }), t('sensors.offline')])])
		]);
		append(root, [
			el('div', { class: 'dash-top' }, [
				card(t('dash.open_by_severity', { n: fmtNum(total) }), el('div', { id: 'dash-severity', class: 'sev-cards' }, cards),
					{ class: 'dash-sev' }),
				card(t('dash.sensors'), sensorsBox, { class: 'dash-sens' })
			]),
			card(t('dash.chart_title'), chart(d.histogram || {}, hours), { class: 'dash-chart-card' }),
			el('div', { class: 'dash-tops' }, [
				card(t('dash.top_apps'), topList('dash-top-apps', d.top_blocked_apps, null)),
				card(t('dash.top_rules'), topList('dash-top-rules', d.top_blocked_signatures, function (name) {
					return '#/alerts' + qs({ q: name });
				})),
				card(t('dash.top_hosts'), topList('dash-top-hosts', d.top_blocked_hosts, function (name) {
					return '#/alerts' + qs({ host: name });
				}))
			])
		]);
	}

	function topList(id, rows, link) {
		rows = Array.isArray(rows) ? rows.slice(0, 10) : [];
		var max = 1;
		rows.forEach(function (r) {
			max = Math.max(max, num(r.count));
		});
		return table({ id: id, class: 'top-table' }, [t('dash.col.name'), [t('dash.col.blocked'), 'num'], ['', 'bar-col']],
			rows.map(function (r) {
				var w = Math.max(1, Math.round(num(r.count) / max * 100));
				return el('tr', null, [
					el('td', { class: 'name' }, link ? el('a', { href: link(String(r.name)) }, String(r.name)) : String(r.name)),
					el('td', { class: 'num' }, fmtNum(r.count)),
					el('td', { class: 'bar-col' }, svg('svg', { class: 'minibar', viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
						[svg('rect', { class: 'minibar-bg', x: 0, y: 0, width: 100, height: 8 }),
							svg('rect', { class: 'minibar-fg', x: 0, y: 0, width: w, height: 8 })]))
				]);
			}), t('dash.none_blocked'));
	}

	/* A step of 1, 2 or 5 times a power of ten giving about n ticks to max. */
	function niceStep(max, n) {
		var raw = Math.max(max, 1) / n;
		var p = Math.pow(10, Math.floor(Math.log10(raw)));
		var m = raw / p;
		var step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
		return Math.max(1, Math.round(step));
	}

	/*
	 * The histogram {since, bucket_s, buckets: [{t, alerts, events}]} as an
	 * SVG bar chart of new alerts per bucket. The API leaves empty buckets
	 * out: the slots between since and now are laid out here, so a quiet
	 * hour shows as a gap, not as a missing column.
	 */
	function chart(h, hours) {
		var W = 960, H = 250, L = 46, R = 10, T = 12, B = 30;
		var bucket = Math.max(60, num(h.bucket_s) || 3600);
		var buckets = Array.isArray(h.buckets) ? h.buckets : [];
		var now = Date.now() / 1000;
		var start = num(h.since) || (now - hours * 3600);
		buckets.forEach(function (b) {
			start = Math.min(start, num(b.t));
		});
		var end = now;
		buckets.forEach(function (b) {
			end = Math.max(end, num(b.t) + bucket);
		});
		var n = Math.min(1000, Math.max(1, Math.ceil((end - start) / bucket)));
		var slots = [];
		var i;
		for (i = 0; i < n; i++)
			slots.push({ t: start + i * bucket, alerts: 0, events: 0 });
		buckets.forEach(function (b) {
			var k = Math.floor((num(b.t) - start) / bucket + 1e-6);
			if (k >= 0 && k < n) {
				slots[k].alerts += num(b.alerts);
				slots[k].events += num(b.events);
			}
		});
		var max = 0, total = 0;
		slots.forEach(function (s) {
			max = Math.max(max, s.alerts);
			total += s.alerts;
		});
		var step = niceStep(max, 4);
		var ymax = Math.max(step, Math.ceil(max / step) * step);
		var ph = H - T - B, pw = W - L - R;
		var sw = pw / n;
		var gap = sw > 6 ? Math.min(3, sw * 0.15) : 0;
		var kids = [];
		kids.push(svg('title', null, t('dash.chart_label', { n: fmtNum(total) })));
		for (var v = 0; v <= ymax; v += step) {
			var y = T + ph - v / ymax * ph;
			kids.push(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y, y2: y }));
			kids.push(svg('text', { class: 'ylabel', x: L - 6, y: y + 4, 'text-anchor': 'end' }, fmtNum(v)));
		}
		var short = bucket < 86400;
		var labelEvery = Math.max(1, Math.ceil(n / 8));
		var bars = svg('g', { class: 'bars' });
		slots.forEach(function (s, k) {
			var x = L + k * sw;
			if (s.alerts > 0) {
				var bh = Math.max(1.5, s.alerts / ymax * ph);
				var rect = svg('rect', { class: 'bar', x: (x + gap / 2).toFixed(2), y: (T + ph - bh).toFixed(2),
					width: Math.max(0.8, sw - gap).toFixed(2), height: bh.toFixed(2), 'data-alerts': s.alerts,
					'data-t': s.t });
				rect.appendChild(svg('title', null, t('dash.bar_title', {
					from: fmtTime(s.t), to: fmtTime(s.t + bucket), n: fmtNum(s.alerts), e: fmtNum(s.events) })));
				bars.appendChild(rect);
			}
			if (k % labelEvery === 0) {
				var d = new Date(s.t * 1000);
				var lab = short ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', hour12: false })
					: d.toLocaleDateString(locale(), { day: '2-digit', month: '2-digit' });
				if (short && k === 0)
					lab = d.toLocaleDateString(locale(), { day: '2-digit', month: '2-digit' }) + ' ' + lab;
				kids.push(svg('line', { class: 'tick', x1: x, x2: x, y1: T + ph, y2: T + ph + 4 }));
				kids.push(svg('text', { class: 'xlabel', x: x, y: H - 10, 'text-anchor': k === 0 ? 'start' : 'middle' }, lab));
			}
		});
		kids.push(bars);
		kids.push(svg('line', { class: 'axis', x1: L, x2: W - R, y1: T + ph, y2: T + ph }));
		if (!total) {
			kids.push(svg('text', { class: 'chart-empty', x: L + pw / 2, y: T + ph / 2, 'text-anchor': 'middle' },
				t('dash.chart_empty')));
		}
		var g = svg('svg', { id: 'dash-chart', class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
			'aria-label': t('dash.chart_label', { n: fmtNum(total) }), 'data-total': total }, kids);
		var per = bucket === 86400 ? t('dash.per_day') : bucket === 3600 ? t('dash.per_hour')
			: bucket >= 3600 ? t('dash.per_hours', { n: Math.round(bucket / 3600) })
			: t('dash.per_minutes', { n: Math.round(bucket / 60) });
		return [g, el('p', { class: 'chart-caption muted' }, [
			el('span', { class: 'legend-swatch', 'aria-hidden': 'true' }), t('dash.chart_caption', { per: per })
		])];
	}

	/* ---- alert list ------------------------------------------------------------------ */

	var FILTER_KEYS = ['severity_max', 'status', 'sensor', 'host', 'since', 'until', 'q', 'limit'];
	var LIMITS = [25, 50, 100, 200];

	/* The page size in the route, 1 to 500 (the API's bound); '' for the default. */
	function limitOf(v) {
		var n = Math.floor(num(v));
		return n >= 1 && n <= 500 ? String(n) : '';
	}

	function pageAlerts(q) {
		var gen = S.gen;
		var f = {};
		FILTER_KEYS.forEach(function (k) {
			f[k] = q.get(k) || '';
		});
		f.limit = limitOf(f.limit);
		var cursor = q.get('after_id') ? { after_last_seen: q.get('after_last_seen') || '', after_id: q.get('after_id') } : null;
		var key = FILTER_KEYS.map(function (k) { return f[k]; }).join('\u0001');
		if (S.pager.key !== key)
			S.pager = { key: key, stack: [] };
		if (!cursor) {
			S.pager.stack = [];
		} else {
			/* Back in the browser to a page already in the stack: drop it and
			 * the pages after it. */
			var ck = cursor.after_last_seen + ':' + cursor.after_id;
			for (var i = 0; i < S.pager.stack.length; i++) {
				var c = S.pager.stack[i];
				if (c && c.after_last_seen + ':' + c.after_id === ck) {
					S.pager.stack.length = i;
					break;
				}
			}
		}

		S.lastList = location.hash;
		var main = beginPage('nav.alerts');
		var form = alertFilters(f);
		var body = el('div', { id: 'alerts-body' }, loading());
		append(main, [pageHead(t('nav.alerts')), form, body]);

		var params = {};
		FILTER_KEYS.forEach(function (k) {
			params[k] = f[k];
		});
		params.limit = f.limit || PAGE;
		if (cursor) {
			params.after_last_seen = cursor.after_last_seen;
			params.after_id = cursor.after_id;
		}
		Promise.all([api('GET', '/alerts' + qs(params)), getSensors().catch(function () { return null; })]).then(function (r) {
			if (gen !== S.gen)
				return;
			fillSensorFilter(f.sensor);
			clear(body);
			renderAlertList(body, r[0], f, cursor);
		}, function (e) {
			if (gen !== S.gen)
				return;
			clear(body);
			body.appendChild(errorBox(e, t('alerts.load_failed')));
		});
	}

	function filterHash(f, cursor) {
		var p = {};
		FILTER_KEYS.forEach(function (k) {
			p[k] = f[k];
		});
		if (cursor) {
			p.after_last_seen = cursor.after_last_seen;
			p.after_id = cursor.after_id;
		}
		return '#/alerts' + qs(p);
	}

	function alertFilters(f) {
		var sev = selectEl({ id: 'filter-severity', name: 'severity_max' }, [
			['', t('filter.any')], ['1', t('filter.sev.1')], ['2', t('filter.sev.2')], ['3', t('filter.sev.3')]
		], f.severity_max);
		var st = selectEl({ id: 'filter-status', name: 'status' }, [
			['', t('filter.any')], ['open', t('status.open')], ['new', t('status.new')],
			['acknowledged', t('status.acknowledged')], ['resolved', t('status.resolved')]
		], f.status);
		var sensor = selectEl({ id: 'filter-sensor', name: 'sensor', 'data-want': f.sensor },
			[['', t('filter.any')]].concat(f.sensor ? [[f.sensor, f.sensor]] : []), f.sensor);
		var host = el('input', { id: 'filter-host', name: 'host', type: 'text', value: f.host, maxlength: 255,
			placeholder: t('filter.host_ph'), spellcheck: 'false' });
		var since = el('input', { id: 'filter-since', name: 'since', type: 'datetime-local', value: toLocalInput(num(f.since)) });
		var until = el('input', { id: 'filter-until', name: 'until', type: 'datetime-local', value: toLocalInput(num(f.until)) });
		var text = el('input', { id: 'filter-q', name: 'q', type: 'search', value: f.q, maxlength: 200,
			placeholder: t('filter.q_ph') });
		return el('form', { id: 'alerts-filters', class: 'filters card', role: 'search', 'aria-label': t('filter.label'),
			onsubmit: function (ev) {
				ev.preventDefault();
				var nf = {
					severity_max: sev.value, status: st.value, sensor: sensor.value, host: host.value.trim(),
					since: fromLocalInput(since.value) || '', until: fromLocalInput(until.value) || '', q: text.value.trim(),
					limit: f.limit
				};
				S.pager = { key: '', stack: [] };
				location.hash = filterHash(nf, null);
			} }, [
			el('div', { class: 'filter-grid' }, [
				field(t('filter.severity'), sev), field(t('filter.status'), st), field(t('filter.sensor'), sensor),
				field(t('filter.host'), host), field(t('filter.since'), since), field(t('filter.until'), until),
				field(t('filter.q'), text)
			]),
			el('div', { class: 'filter-buttons' }, [
				el('button', { id: 'filter-apply', type: 'submit', class: 'primary' }, t('filter.apply')),
				el('a', { id: 'filter-reset', class: 'button', href: '#/alerts' }, t('filter.reset'))
			])
		]);
	}

	function fillSensorFilter(want) {
		var s = $('filter-sensor');
		if (!s || !S.sensors)
			return;
		clear(s);
		s.appendChild(el('option', { value: '' }, t('filter.any')));
		var seen = false;
		S.sensors.list.slice().sort(function (a, b) {
			return String(a.hostname).localeCompare(String(b.hostname));
		}).forEach(function (x) {
			if (x.id === want)
				seen = true;
			s.appendChild(el('option', { value: x.id }, String(x.hostname || x.id) + ' (' + kindName('kind.', x.kind) + ')'));
		});
		if (want && !seen)
			s.appendChild(el('option', { value: want }, want));
		s.value = want || '';
	}

	function renderAlertList(root, r, f, cursor) {
		var alerts = Array.isArray(r.alerts) ? r.alerts : [];
		var rows = alerts.map(function (a) {
			var href = '#/alerts/' + encodeURIComponent(String(a.id));
			return el('tr', { class: 'alert-row status-row-' + (STATUSES.indexOf(a.status) >= 0 ? a.status : 'other'),
				'data-id': a.id, onclick: function (ev) {
					if (ev.target.closest('a') || window.getSelection().toString())
						return;
					location.hash = href;
				} }, [
				el('td', null, sevBadge(a.severity)),
				el('td', { class: 'sig' }, [el('a', { href: href, class: 'alert-link' }, String(a.signature || t('alert.no_signature'))),
					a.category ? el('span', { class: 'sub' }, String(a.category)) : null]),
				el('td', { class: 'mono' }, String(a.host || '')),
				el('td', null, sensorName(a.sensor_id)),
				el('td', { class: 'num' }, fmtNum(a.count)),
				el('td', { class: 'nowrap' }, timeEl(a.last_seen)),
				el('td', null, statusBadge(a.status)),
				el('td', null, a.assignee ? String(a.assignee) : el('span', { class: 'muted' }, '—'))
			]);
		});
		var size = num(f.limit) || PAGE;
		var first = S.pager.stack.length * size + 1;
		var pos = alerts.length && (!cursor || S.pager.stack.length) ? t('alerts.showing', { from: fmtNum(first), to: fmtNum(first + alerts.length - 1) }) : '';
		var next = r.next && r.next.after_id !== undefined && r.next.after_id !== null ? r.next : null;
		var sizes = LIMITS.indexOf(size) >= 0 ? LIMITS : LIMITS.concat([size]).sort(function (x, y) { return x - y; });
		var perPage = selectEl({ id: 'alerts-limit', onchange: function () {
			var nf = {};
			FILTER_KEYS.forEach(function (k) {
				nf[k] = f[k];
			});
			nf.limit = this.value === String(PAGE) ? '' : this.value;
			S.pager = { key: '', stack: [] };
			location.hash = filterHash(nf, null);
		} }, sizes.map(function (n) { return [String(n), String(n)]; }), String(size));
		var pager = el('nav', { class: 'pager', 'aria-label': t('pager.label') }, [
			el('span', { class: 'muted', id: 'alerts-position' }, pos),
			el('label', { for: 'alerts-limit', class: 'muted' }, t('pager.per_page')), perPage,
			el('button', { id: 'alerts-first', type: 'button', disabled: !cursor, onclick: function () {
				S.pager.stack = [];
				location.hash = filterHash(f, null);
			} }, t('pager.first')),
			el('button', { id: 'alerts-prev', type: 'button', disabled: !cursor, onclick: function () {
				var prev = S.pager.stack.pop();
				location.hash = filterHash(f, prev || null);
			} }, t('pager.prev')),
			el('button', { id: 'alerts-next', type: 'button', disabled: !next, onclick: function () {
				S.pager.stack.push(cursor);
				location.hash = filterHash(f, { after_last_seen: next.after_last_seen, after_id: next.after_id });
			} }, t('pager.next'))
		]);
		append(root, [
			table({ id: 'alerts-table', class: 'data alerts' }, [
				t('col.severity'), t('col.signature'), t('col.host'), t('col.sensor'), [t('col.count'), 'num'],
				t('col.last_seen'), t('col.status'), t('col.assignee')
			], rows, t('alerts.none')),
			pager
		]);
	}

	/* ---- one alert -------------------------------------------------------------------- */

	function pageAlert(id) {
		var gen = S.gen;
		var main = beginPage('alert.title', '#' + id);
		var body = el('div', { id: 'alert-body' }, loading());
		append(main, [el('p', { class: 'back' }, el('a', { href: S.lastList || '#/alerts', id: 'alert-back' },
			'← ' + t('alert.back'))), body]);
		function load(msg) {
			return Promise.all([api('GET', '/alerts/' + encodeURIComponent(id)), getSensors().catch(function () { return null; })])
				.then(function (r) {
					if (gen !== S.gen)
						return;
					clear(body);
					renderAlert(body, r[0], load);
					if (msg)
						flash(msg);
				}, function (e) {
					if (gen !== S.gen)
						return;
					clear(body);
					body.appendChild(e.status === 404 ? el('p', { class: 'error' }, t('alert.not_found')) : errorBox(e, t('alert.load_failed')));
				});
		}
		load();
	}

	function renderAlert(root, r, reload) {
		var a = r.alert || {};
		var idPath = '/alerts/' + encodeURIComponent(String(a.id));
		document.title = '#' + a.id + ' ' + String(a.signature || '') + ' · Kastro';
		var actErr = el('p', { class: 'error', role: 'alert', id: 'alert-action-error', hidden: true });

		function act(btn, path, body, okMsg) {
			actErr.hidden = true;
			return busy(btn, function () {
				return api('POST', idPath + path, body).then(function () {
					return reload(okMsg);
				}, function (e) {
					actErr.textContent = errText(e);
					actErr.hidden = false;
				});
			});
		}

		function statusButton(id, to, label, cls) {
			var b = el('button', { id: id, type: 'button', class: cls || null, onclick: function () {
				act(b, '/status', { status: to }, t('alert.done.' + to));
			} }, label);
			return b;
		}

		var st = a.status;
		var buttons = [];
		if (canAct()) {
			if (st === 'new')
				buttons.push(statusButton('alert-ack', 'acknowledged', t('alert.ack'), 'primary'));
			if (st !== 'resolved')
				buttons.push(statusButton('alert-resolve', 'resolved', t('alert.resolve'), st === 'new' ? null : 'primary'));
			if (st !== 'new')
				buttons.push(statusButton('alert-reopen', 'new', st === 'resolved' ? t('alert.reopen') : t('alert.back_to_new')));
		}

		var assignee = el('input', { id: 'alert-assignee', type: 'text', value: a.assignee || '', maxlength: 64,
			list: 'alert-assignee-list', autocomplete: 'off', spellcheck: 'false' });
		var datalist = el('datalist', { id: 'alert-assignee-list' });
		if (isAdmin()) {
			api('GET', '/users').then(function (u) {
				(u.users || []).forEach(function (x) {
					if (!x.disabled && x.role !== 'viewer')
						datalist.appendChild(el('option', { value: String(x.name) }));
				});
			}, function () { /* free text then */ });
		}
		var assignBtn = el('button', { id: 'alert-assign', type: 'button', onclick: function () {
			act(assignBtn, '/assign', { assignee: assignee.value.trim() },
				assignee.value.trim() ? t('alert.done.assigned', { who: assignee.value.trim() }) : t('alert.done.unassigned'));
		} }, t('alert.assign'));
		var meBtn = el('button', { id: 'alert-assign-me', type: 'button', onclick: function () {
			act(meBtn, '/assign', { assignee: S.userName }, t('alert.done.assigned', { who: S.userName }));
		} }, t('alert.assign_me'));

		var side = [
			card(t('alert.handling'), [
				el('dl', { class: 'facts' }, [
					el('dt', null, t('col.status')), el('dd', null, statusBadge(st, 'alert-status')),
					st !== 'new' || a.status_by ? [el('dt', null, t('alert.status_by')),
						el('dd', null, [String(a.status_by || '—'), a.status_at ? ' · ' : '', a.status_at ? timeEl(a.status_at) : null])] : null,
					el('dt', null, t('col.assignee')), el('dd', { id: 'alert-assignee-now' }, a.assignee ? String(a.assignee) : t('alert.nobody'))
				]),
				canAct() ? el('div', { class: 'actions' }, buttons) : el('p', { class: 'muted' }, t('alert.viewer_only')),
				canAct() ? el('div', { class: 'assign' }, [
					el('label', { for: 'alert-assignee' }, t('alert.assign_to')),
					el('div', { class: 'inline' }, [assignee, datalist, assignBtn]),
					a.assignee !== S.userName ? meBtn : null
				]) : null,
				actErr
			], { id: 'alert-handling' }),
			notesCard(r.notes, idPath, reload)
		];

		var facts = el('dl', { class: 'facts facts-wide' }, [
			el('dt', null, t('col.severity')), el('dd', null, sevBadge(a.severity)),
			el('dt', null, t('alert.kind')), el('dd', null, kindName('alertkind.', a.kind)),
			el('dt', null, t('col.category')), el('dd', null, String(a.category || '—')),
			el('dt', null, t('col.host')), el('dd', { class: 'mono' }, a.host ? el('a', { href: '#/alerts' + qs({ host: a.host }) }, String(a.host)) : '—'),
			el('dt', null, t('alert.claimed_host')), el('dd', { id: 'alert-claimed-host', class: 'mono' }, a.claimed_host ? String(a.claimed_host) : '—'),
			el('dt', null, t('alert.time_flag')), el('dd', { id: 'alert-time-flag' }, a.time_replaced ? t('alert.time_replaced.' + a.time_replaced) : '—'),
			el('dt', null, t('col.sensor')), el('dd', null, [sensorName(a.sensor_id), el('span', { class: 'sub mono' }, String(a.sensor_id || ''))]),
			el('dt', null, t('alert.signature_id')), el('dd', { class: 'mono' }, a.signature_id === undefined || a.signature_id === null || num(a.signature_id) < 0 ? '—' : String(a.signature_id)),
			el('dt', null, t('alert.action')), el('dd', null, a.action ? kindName('action.', a.action) : '—'),
			el('dt', null, t('alert.first_seen')), el('dd', null, timeEl(a.first_seen)),
			el('dt', null, t('col.last_seen')), el('dd', null, timeEl(a.last_seen)),
			el('dt', null, t('col.count')), el('dd', null, fmtNum(a.count))
		]);

		var mainCol = [
			card(null, facts, { id: 'alert-summary' }),
			card(t('alert.event'), eventView(r.event, 'alert-event'), { id: 'alert-event-card' }),
			card(t('alert.related', { host: String(a.host || '') }), relatedView(r.related), { id: 'alert-related-card' })
		];

		append(root, [
			el('div', { class: 'page-head alert-head' }, [
				el('h1', null, [sevBadge(a.severity), ' ', el('span', { id: 'alert-title' }, String(a.signature || t('alert.no_signature'))),
					el('span', { class: 'muted alert-id' }, ' #' + a.id)])
			]),
			el('div', { class: 'alert-grid' }, [el('div', { class: 'alert-main' }, mainCol), el('div', { class: 'alert-side' }, side)])
		]);
	}

	/* The fields an officer looks at first, then the whole event as JSON. */
	function eventView(ev, id) {
		if (!ev || typeof ev !== 'object')
			return el('p', { class: 'muted', id: id }, t('alert.no_event'));
		var al = ev.alert && typeof ev.alert === 'object' ? ev.alert : {};
		function hostPort(ip, port) {
			if (ip === undefined || ip === null)
				return null;
			return String(ip) + (port !== undefined && port !== null ? ' : ' + port : '');
		}
		var pairs = [
			[t('ev.time'), ev.timestamp],
			[t('ev.type'), ev.event_type],
			[t('ev.src'), hostPort(ev.src_ip, ev.src_port)],
			[t('ev.dest'), hostPort(ev.dest_ip, ev.dest_port)],
			[t('ev.proto'), ev.proto ? String(ev.proto) + (ev.app_proto ? ' / ' + ev.app_proto : '') : null],
			[t('ev.app'), ev.app || ev.application || (ev.ndpi && ev.ndpi.app) || null],
			[t('ev.signature'), al.signature],
			[t('ev.action'), al.action]
		].filter(function (p) {
			return p[1] !== undefined && p[1] !== null && p[1] !== '';
		});
		return el('div', { id: id }, [
			pairs.length ? el('dl', { class: 'facts' }, pairs.map(function (p) {
				return [el('dt', null, p[0]), el('dd', { class: 'mono' }, typeof p[1] === 'object' ? JSON.stringify(p[1]) : String(p[1]))];
			})) : null,
			el('details', { class: 'json' }, [el('summary', null, t('ev.raw')), el('pre', null, JSON.stringify(ev, null, 2))])
		]);
	}

	function eventSummary(ev) {
		if (!ev || typeof ev !== 'object')
			return '';
		var parts = [];
		if (ev.src_ip)
			parts.push(String(ev.src_ip) + (ev.src_port ? ':' + ev.src_port : '') + ' → ' +
				String(ev.dest_ip || '?') + (ev.dest_port ? ':' + ev.dest_port : ''));
		if (ev.proto)
			parts.push(String(ev.proto));
		if (ev.alert && ev.alert.signature)
			parts.push(String(ev.alert.signature));
		else if (ev.signature)
			parts.push(String(ev.signature));
		return parts.join(' · ');
	}

	function relatedView(rel) {
		rel = Array.isArray(rel) ? rel : [];
		return table({ id: 'alert-related', class: 'data related' }, [t('col.time'), t('ev.type'), t('col.sensor'), t('ev.summary')],
			rel.map(function (x) {
				var ev = x.event || {};
				return el('tr', { class: 'related-row', 'data-seq': x.seq }, [
					el('td', { class: 'nowrap' }, timeEl(x.ts)),
					el('td', null, String(x.event_type || ev.event_type || '')),
					el('td', null, sensorName(x.sensor_id)),
					el('td', { class: 'summary' }, el('details', { class: 'json' }, [
						el('summary', null, eventSummary(ev) || t('ev.show')),
						el('pre', null, JSON.stringify(ev, null, 2))
					]))
				]);
			}), t('alert.no_related'));
	}

	function notesCard(notes, idPath, reload) {
		notes = Array.isArray(notes) ? notes : [];
		var list = el('ol', { id: 'alert-notes', class: 'notes' }, notes.map(function (n) {
			return el('li', { class: 'note', 'data-id': n.id }, [
				el('div', { class: 'note-meta' }, [el('strong', null, String(n.user || '')), ' · ', timeEl(n.ts)]),
				el('p', { class: 'note-text' }, String(n.text || ''))
			]);
		}));
		if (!notes.length)
			list.appendChild(el('li', { class: 'empty muted' }, t('notes.none')));
		if (!canAct())
			return card(t('notes.title'), list, { id: 'alert-notes-card' });
		var text = el('textarea', { id: 'alert-note-text', rows: 3, maxlength: 4096, required: true });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var add = el('button', { id: 'alert-note-add', type: 'submit', class: 'primary' }, t('notes.add'));
		var form = el('form', { class: 'note-form', onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			var v = text.value.trim();
			if (!v) {
				err.textContent = t('notes.empty');
				err.hidden = false;
				return;
			}
			busy(add, function () {
				return api('POST', idPath + '/notes', { text: v }).then(function () {
					return reload(t('notes.added'));
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, [el('label', { for: 'alert-note-text' }, t('notes.new')), text, err, add]);
		return card(t('notes.title'), [list, form], { id: 'alert-notes-card' });
	}

	/* ---- sensors ---------------------------------------------------------------------- */

	function pageSensors() {
		var gen = S.gen;
		var main = beginPage('nav.sensors');
		var body = el('div', { id: 'sensors-body' }, loading());
		append(main, [pageHead(t('nav.sensors')), isAdmin() ? tokenCard() : null, body]);
		function load() {
			getSensors(true).then(function (s) {
				if (gen !== S.gen)
					return;
				clear(body);
				renderSensors(body, s.list, load);
			}, function (e) {
				if (gen !== S.gen)
					return;
				clear(body);
				body.appendChild(errorBox(e, t('sensors.load_failed')));
			});
		}
		load();
	}

	function sensorState(s) {
		if (s.revoked)
			return el('span', { class: 'state state-revoked' }, t('sensors.revoked'));
		return s.online ? el('span', { class: 'state state-online' }, [el('span', { class: 'dot dot-online', 'aria-hidden': 'true' }), t('sensors.online')])
			: el('span', { class: 'state state-offline' }, [el('span', { class: 'dot dot-offline', 'aria-hidden': 'true' }), t('sensors.offline')]);
	}

	function renderSensors(root, list, reload) {
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var sorted = list.slice().sort(function (a, b) {
			return (a.revoked - b.revoked) || String(a.hostname).localeCompare(String(b.hostname));
		});
		var heads = [t('col.name'), t('col.kind'), t('col.state'), t('col.last_seen'), t('sensors.enrolled'), t('col.id')];
		if (isAdmin())
			heads.push(['', 'actions-col']);
		var rows = sorted.map(function (s) {
			var cells = [
				el('td', null, el('a', { href: '#/alerts' + qs({ sensor: s.id }), title: t('sensors.alerts_of') }, String(s.hostname || s.id))),
				el('td', null, kindName('kind.', s.kind)),
				el('td', null, sensorState(s)),
				el('td', { class: 'nowrap' }, agoEl(s.last_seen)),
				el('td', { class: 'nowrap' }, timeEl(s.enrolled_at)),
				el('td', { class: 'mono small' }, String(s.id))
			];
			if (isAdmin()) {
				var b = s.revoked ? null : el('button', { type: 'button', class: 'danger small-button revoke', 'data-id': s.id, onclick: function () {
					if (!window.confirm(t('sensors.revoke_confirm', { name: String(s.hostname || s.id) })))
						return;
					err.hidden = true;
					busy(b, function () {
						return api('POST', '/sensors/' + encodeURIComponent(s.id) + '/revoke').then(function () {
							flash(t('sensors.revoked_msg', { name: String(s.hostname || s.id) }));
							reload();
						}, function (e) {
							err.textContent = errText(e);
							err.hidden = false;
						});
					});
				} }, t('sensors.revoke'));
				cells.push(el('td', { class: 'actions-col' }, b));
			}
			return el('tr', { class: 'sensor-row' + (s.revoked ? ' revoked' : ''), 'data-id': s.id }, cells);
		});
		var online = list.filter(function (s) { return !s.revoked && s.online; }).length;
		var offline = list.filter(function (s) { return !s.revoked && !s.online; }).length;
		append(root, [
			el('p', { class: 'muted', id: 'sensors-summary' }, t('sensors.summary', { on: fmtNum(online), off: fmtNum(offline) })),
			err,
			table({ id: 'sensors-table', class: 'data' }, heads, rows, t('sensors.none'))
		]);
	}

	var TTLS = [3600, 86400, 604800];

	function tokenCard() {
		var kind = selectEl({ id: 'token-kind' }, [['gateway', t('kind.gateway')], ['agent', t('kind.agent')]], 'gateway');
		var ttl = selectEl({ id: 'token-ttl' }, TTLS.map(function (s) { return [String(s), t('ttl.' + s)]; }), '86400');
		var out = el('div', { id: 'token-result', class: 'token-result', hidden: true, 'aria-live': 'polite' });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var btn = el('button', { id: 'token-create', type: 'submit', class: 'primary' }, t('token.create'));
		var form = el('form', { class: 'inline-form', onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			busy(btn, function () {
				return api('POST', '/tokens', { kind: kind.value, ttl: num(ttl.value) }).then(function (r) {
					clear(out);
					append(out, [
						el('p', { class: 'warn' }, t('token.once')),
						el('dl', { class: 'facts' }, [
							el('dt', null, t('token.token')), el('dd', null, [el('code', { id: 'token-value', class: 'secret' }, String(r.token || '')),
								copyButton(String(r.token || ''))]),
							el('dt', null, t('token.fp')), el('dd', null, [el('code', { id: 'token-fp', class: 'secret' }, String(r.ca_fingerprint || '')),
								copyButton(String(r.ca_fingerprint || ''))]),
							el('dt', null, t('col.kind')), el('dd', null, kindName('kind.', r.kind)),
							el('dt', null, t('token.expires')), el('dd', null, timeEl(r.expires_at))
						]),
						el('p', { class: 'hint' }, t('token.howto'))
					]);
					out.hidden = false;
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, [field(t('token.kind'), kind), field(t('token.ttl'), ttl), btn]);
		return card(t('token.title'), [el('p', { class: 'muted' }, t('token.intro')), form, err, out], { id: 'token-card' });
	}

	function copyButton(text) {
		var b = el('button', { type: 'button', class: 'small-button copy', onclick: function () {
			var done = function () { flash(t('common.copied')); };
			if (navigator.clipboard && window.isSecureContext)
				navigator.clipboard.writeText(text).then(done, function () { flash(t('common.copy_failed'), 'error'); });
			else
				flash(t('common.copy_failed'), 'error');
		} }, t('common.copy'));
		return b;
	}

	/* ---- users (admin) ------------------------------------------------------------------- */

	var ROLES = ['viewer', 'analyst', 'admin'];

	function pageUsers() {
		var gen = S.gen;
		var main = beginPage('nav.users');
		append(main, pageHead(t('nav.users')));
		if (!isAdmin()) {
			main.appendChild(el('p', { class: 'error', id: 'users-forbidden' }, t('users.admin_only')));
			return;
		}
		var body = el('div', { id: 'users-body' }, loading());
		var toks = el('div', { id: 'all-tokens' }, loading());
		append(main, [newUserCard(load), body, card(t('users.tokens_title'), toks)]);
		function load() {
			api('GET', '/users').then(function (r) {
				if (gen !== S.gen)
					return;
				clear(body);
				renderUsers(body, Array.isArray(r.users) ? r.users : [], load);
			}, function (e) {
				if (gen !== S.gen)
					return;
				clear(body);
				body.appendChild(errorBox(e, t('users.load_failed')));
			});
			/* every user's API tokens: an admin revokes a leaked one */
			api('GET', '/api-tokens?all=1').then(function (r) {
				if (gen !== S.gen)
					return;
				clear(toks);
				var list = Array.isArray(r.tokens) ? r.tokens : [];
				toks.appendChild(table({ id: 'all-tokens-table', class: 'data' },
					[t('col.user'), t('account.token_name'), t('account.token_expires'), t('account.token_last_used'), ['', 'actions-col']],
					list.map(function (k) {
						var rv = el('button', { type: 'button', class: 'small-button danger', onclick: function () {
							if (!window.confirm(t('users.token_revoke_confirm', { name: String(k.name), user: String(k.user) })))
								return;
							busy(rv, function () {
								return api('POST', '/users/' + encodeURIComponent(String(k.user_id)) + '/api-tokens/' +
									encodeURIComponent(String(k.name)) + '/revoke').then(function () {
									flash(t('account.token_revoked', { name: String(k.name) }));
									load();
								}, function (e) {
									flash(errText(e), 'error');
								});
							});
						} }, t('account.token_revoke'));
						return el('tr', { class: 'all-token-row', 'data-user': k.user, 'data-name': k.name }, [
							el('td', null, String(k.user)),
							el('td', null, el('strong', null, String(k.name))),
							el('td', { class: 'nowrap' }, k.expires_at ? timeEl(k.expires_at) : t('time.never')),
							el('td', { class: 'nowrap' }, agoEl(k.last_used)),
							el('td', { class: 'actions-col' }, rv)
						]);
					}), t('users.tokens_none')));
			}, function (e) {
				if (gen !== S.gen)
					return;
				clear(toks);
				toks.appendChild(errorBox(e, t('account.tokens_load_failed')));
			});
		}
		load();
	}

	function newUserCard(reload) {
		var name = el('input', { id: 'user-new-name', type: 'text', required: true, maxlength: 64, pattern: '[A-Za-z0-9._@-]+',
			autocomplete: 'off', spellcheck: 'false' });
		var role = selectEl({ id: 'user-new-role' }, ROLES.map(function (r) { return [r, t('role.' + r)]; }), 'analyst');
		var pw = el('input', { id: 'user-new-password', type: 'password', required: true, minlength: 12, maxlength: 1024,
			autocomplete: 'new-password' });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var btn = el('button', { id: 'user-new-submit', type: 'submit', class: 'primary' }, t('users.create'));
		var form = el('form', { class: 'inline-form', novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name.value)) {
				err.textContent = t('users.bad_name');
				err.hidden = false;
				return;
			}
			if (pw.value.length < 12) {
				err.textContent = t('pw.too_short');
				err.hidden = false;
				return;
			}
			busy(btn, function () {
				return api('POST', '/users', { name: name.value, role: role.value, password: pw.value }).then(function () {
					flash(t('users.created', { name: name.value }));
					name.value = '';
					pw.value = '';
					reload();
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, [field(t('col.name'), name), field(t('col.role'), role), field(t('users.password'), pw), btn]);
		name.setAttribute('autocomplete', 'username');
		return card(t('users.new'), [form, el('p', { class: 'hint' }, t('users.new_hint')), err], { id: 'user-new-card' });
	}

	function renderUsers(root, users, reload) {
		var err = el('p', { class: 'error', role: 'alert', hidden: true, id: 'users-error' });
		function change(btn, u, body, msg) {
			err.hidden = true;
			return busy(btn, function () {
				return api('POST', '/users/' + encodeURIComponent(String(u.id)), body).then(function () {
					flash(msg);
					reload();
				}, function (e) {
					/* the table is drawn again (the select back to the stored
					 * role), so the reason goes to the flash line */
					flash(errText(e), 'error');
					reload();
				});
			});
		}
		var rows = users.map(function (u) {
			var role = selectEl({ 'aria-label': t('users.role_of', { name: String(u.name) }), class: 'role-select', onchange: function () {
				change(role, u, { role: role.value }, t('users.role_set', { name: String(u.name), role: roleName(role.value) }));
			} }, ROLES.map(function (r) { return [r, t('role.' + r)]; }), u.role);
			var dis = el('button', { type: 'button', class: 'small-button' + (u.disabled ? '' : ' danger'), onclick: function () {
				if (!u.disabled && !window.confirm(t('users.disable_confirm', { name: String(u.name) })))
					return;
				change(dis, u, { disabled: !u.disabled }, u.disabled ? t('users.enabled_msg', { name: String(u.name) }) : t('users.disabled_msg', { name: String(u.name) }));
			} }, u.disabled ? t('users.enable') : t('users.disable'));
			var pwRow = null;
			var pwBtn = el('button', { type: 'button', class: 'small-button', 'aria-expanded': 'false', onclick: function () {
				pwRow.hidden = !pwRow.hidden;
				pwBtn.setAttribute('aria-expanded', String(!pwRow.hidden));
				if (!pwRow.hidden)
					pwRow.querySelector('input').focus();
			} }, t('users.set_password'));
			var pwIn = el('input', { type: 'password', minlength: 12, maxlength: 1024, autocomplete: 'new-password',
				id: 'user-pw-' + String(u.id).replace(/[^0-9A-Za-z_-]/g, '') });
			var pwSave = el('button', { type: 'submit', class: 'primary small-button' }, t('common.save'));
			pwRow = el('tr', { class: 'pw-row', hidden: true }, el('td', { colspan: 6 }, el('form', { class: 'inline', onsubmit: function (ev) {
				ev.preventDefault();
				if (pwIn.value.length < 12) {
					err.textContent = t('pw.too_short');
					err.hidden = false;
					return;
				}
				change(pwSave, u, { password: pwIn.value }, t('users.password_set', { name: String(u.name) }));
			} }, [userField(String(u.name)), el('label', { for: pwIn.id }, t('users.new_password_for', { name: String(u.name) })), pwIn, pwSave])));
			/* a lost second factor: the admin removes it (audited) */
			var reset = u.totp ? el('button', { type: 'button', class: 'small-button totp-reset', onclick: function () {
				if (!window.confirm(t('users.totp_reset_confirm', { name: String(u.name) })))
					return;
				busy(reset, function () {
					return api('POST', '/users/' + encodeURIComponent(String(u.id)) + '/totp-reset').then(function () {
						flash(t('users.totp_reset_done', { name: String(u.name) }));
						return reload();
					}, function (e) {
						err.textContent = errText(e);
						err.hidden = false;
					});
				});
			} }, t('users.totp_reset')) : null;
			return [el('tr', { class: 'user-row' + (u.disabled ? ' disabled' : ''), 'data-id': u.id, 'data-name': u.name }, [
				el('td', null, el('strong', null, String(u.name))),
				el('td', null, role),
				el('td', null, u.totp ? t('common.yes') : t('common.no')),
				el('td', null, u.disabled ? el('span', { class: 'state state-revoked' }, t('users.disabled')) : el('span', { class: 'state state-online' }, t('users.active'))),
				el('td', { class: 'nowrap' }, timeEl(u.created_at)),
				el('td', { class: 'actions-col' }, [pwBtn, ' ', dis, reset ? ' ' : null, reset])
			]), pwRow];
		});
		append(root, [err, table({ id: 'users-table', class: 'data' },
			[t('col.name'), t('col.role'), t('users.totp'), t('col.state'), t('users.created_at'), ['', 'actions-col']], rows, t('users.none'))]);
	}

	/* ---- audit log ------------------------------------------------------------------------ */

	function pageAudit(q) {
		var gen = S.gen;
		var before = q.get('before_id') || '';
		if (!before)
			S.auditPager.stack = [];
		var main = beginPage('nav.audit');
		var body = el('div', { id: 'audit-body' }, loading());
		append(main, [pageHead(t('nav.audit')), el('p', { class: 'muted' }, t('audit.intro')), body]);
		api('GET', '/audit' + qs({ before_id: before, limit: PAGE })).then(function (r) {
			if (gen !== S.gen)
				return;
			clear(body);
			var entries = Array.isArray(r.entries) ? r.entries : [];
			var rows = entries.map(function (x) {
				return el('tr', { class: 'audit-row', 'data-id': x.id, 'data-action': x.action }, [
					el('td', { class: 'nowrap' }, timeEl(x.ts)),
					el('td', { class: 'audit-user' }, x.user ? String(x.user) : el('span', { class: 'muted' }, t('audit.console'))),
					el('td', { class: 'mono' }, String(x.addr || '')),
					el('td', { class: 'audit-action' }, [el('span', null, kindName('auditact.', x.action)),
						t('auditact.' + x.action) !== 'auditact.' + x.action ? el('span', { class: 'sub mono' }, String(x.action)) : null]),
					el('td', { class: 'audit-detail' }, String(x.detail || ''))
				]);
			});
			var nb = r.next_before_id;
			append(body, [
				table({ id: 'audit-table', class: 'data' }, [t('col.time'), t('col.user'), t('audit.addr'), t('audit.action'), t('audit.detail')],
					rows, t('audit.none')),
				el('nav', { class: 'pager', 'aria-label': t('pager.label') }, [
					el('button', { id: 'audit-newest', type: 'button', disabled: !before, onclick: function () {
						S.auditPager.stack = [];
						location.hash = '#/audit';
					} }, t('pager.newest')),
					el('button', { id: 'audit-newer', type: 'button', disabled: !before, onclick: function () {
						var p = S.auditPager.stack.pop();
						location.hash = '#/audit' + qs({ before_id: p || '' });
					} }, t('pager.newer')),
					el('button', { id: 'audit-older', type: 'button', disabled: !nb, onclick: function () {
						S.auditPager.stack.push(before);
						location.hash = '#/audit' + qs({ before_id: nb });
					} }, t('pager.older'))
				])
			]);
		}, function (e) {
			if (gen !== S.gen)
				return;
			clear(body);
			body.appendChild(errorBox(e, t('audit.load_failed')));
		});
	}

	/* ---- hooks: where alerts go, and each hook's deliveries ------------------------------------- */

	function pageHooks() {
		var gen = S.gen;
		var main = beginPage('nav.hooks');
		var body = el('div', { id: 'hooks-body' }, loading());
		append(main, [pageHead(t('nav.hooks')), el('p', { class: 'muted' }, t('hooks.intro')), body]);
		api('GET', '/hooks').then(function (r) {
			if (gen !== S.gen)
				return;
			clear(body);
			var list = Array.isArray(r.hooks) ? r.hooks : [];
			var rows = list.map(function (h) {
				return el('tr', { class: 'hook-row', 'data-name': h.name }, [
					el('td', null, el('a', { href: '#/hooks/' + encodeURIComponent(h.name) }, String(h.name))),
					el('td', null, String(h.kind) + ' · ' + String(h.format)),
					el('td', { class: 'mono small' }, String(h.url)),
					el('td', { class: 'num hook-queued' }, fmtNum(h.queued)),
					el('td', { class: 'num hook-delivered' }, fmtNum(h.delivered)),
					el('td', { class: 'num' }, fmtNum(h.failed)),
					el('td', { class: 'num' }, fmtNum(h.dropped)),
					el('td', { class: 'nowrap' }, h.last_ok ? agoEl(h.last_ok) : t('hooks.never')),
					el('td', { class: 'hook-error' }, h.last_error ? [agoEl(h.last_error_at), ' ', String(h.last_error)] : '')
				]);
			});
			append(body, table({ id: 'hooks-table', class: 'data' }, [t('col.name'), t('col.kind'), t('hooks.receiver'),
				t('hooks.queued'), t('hooks.delivered'), t('hooks.failed'), t('hooks.dropped'), t('hooks.last_ok'),
				t('hooks.last_error')], rows, t('hooks.none')));
			if (isAdmin() && window.KastroHookEdit)
				body.appendChild(window.KastroHookEdit.panel(ui, list, pageHooks));
		}, function (e) {
			if (gen !== S.gen)
				return;
			clear(body);
			body.appendChild(errorBox(e, t('hooks.load_failed')));
		});
	}

	var DELIVERY_STATES = ['queued', 'failed', 'delivered', 'dropped'];

	function pageHookDeliveries(name, q) {
		var gen = S.gen;
		var state = DELIVERY_STATES.indexOf(q.get('state')) >= 0 ? q.get('state') : '';
		var main = beginPage('nav.hooks');
		var body = el('div', { id: 'deliveries-body' }, loading());
		var pick = selectEl({ id: 'deliveries-state' }, [['', t('hooks.all')]].concat(DELIVERY_STATES.map(function (x) {
			return [x, t('delivery.' + x)];
		})), state);
		pick.addEventListener('change', function () {
			location.hash = '#/hooks/' + encodeURIComponent(name) + qs({ state: pick.value });
		});
		append(main, [pageHead(t('hooks.deliveries_of', { name: name })),
			el('p', null, el('a', { href: '#/hooks' }, t('hooks.back'))), field(t('col.state'), pick), body]);
		function load() {
			api('GET', '/hooks/' + encodeURIComponent(name) + '/deliveries' + qs({ state: state, limit: PAGE })).then(function (r) {
				if (gen !== S.gen)
					return;
				clear(body);
				var err = el('p', { class: 'error', role: 'alert', hidden: true });
				var list = Array.isArray(r.deliveries) ? r.deliveries : [];
				var heads = [t('col.id'), t('col.signature'), t('col.state'), t('hooks.reason'), t('hooks.attempts'),
					t('col.time'), t('hooks.answer')];
				if (isAdmin())
					heads.push(['', 'actions-col']);
				var rows = list.map(function (x) {
					var cells = [
						el('td', { class: 'mono' }, String(x.id)),
						el('td', null, el('a', { href: '#/alerts/' + encodeURIComponent(x.alert_id) }, t('hooks.alert', { id: String(x.alert_id) }))),
						el('td', { class: 'delivery-state' }, t('delivery.' + x.state)),
						el('td', null, String(x.reason || '')),
						el('td', { class: 'num' }, fmtNum(x.attempts)),
						el('td', { class: 'nowrap' }, timeEl(x.last_at || x.created)),
						el('td', { class: 'delivery-answer' }, String(x.answer || ''))
					];
					if (isAdmin()) {
						var acts = [];
						function act(what, label) {
							var b = el('button', { type: 'button', class: 'small-button delivery-' + what, onclick: function () {
								err.hidden = true;
								busy(b, function () {
									return api('POST', '/hooks/deliveries/' + encodeURIComponent(x.id) + '/' + what).then(function () {
										flash(t('hooks.' + what + '_done', { id: String(x.id) }));
										load();
									}, function (e) {
										err.textContent = errText(e);
										err.hidden = false;
									});
								});
							} }, label);
							acts.push(b);
						}
						if (x.state === 'failed' || x.state === 'dropped')
							act('retry', t('hooks.retry'));
						if (x.state === 'queued' || x.state === 'failed')
							act('drop', t('hooks.drop'));
						cells.push(el('td', { class: 'actions-col' }, acts));
					}
					return el('tr', { class: 'delivery-row', 'data-id': x.id, 'data-state': x.state }, cells);
				});
				append(body, [err, table({ id: 'deliveries-table', class: 'data' }, heads, rows, t('hooks.no_deliveries'))]);
			}, function (e) {
				if (gen !== S.gen)
					return;
				clear(body);
				body.appendChild(errorBox(e, t('hooks.load_failed')));
			});
		}
		load();
	}

	/* ---- my account -------------------------------------------------------------------------- */

	function pageAccount() {
		var main = beginPage('nav.account');
		append(main, [pageHead(t('nav.account')),
			el('p', { class: 'muted' }, t('account.who', { name: S.userName, role: S.role ? roleName(S.role) : '—' })),
			el('div', { class: 'account-grid' }, [passwordCard(), totpCard(), apiTokenCard()])]);
	}

	function passwordCard() {
		var old = el('input', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
		var nw = el('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 });
		var again = el('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password', required: true, maxlength: 1024 });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var btn = el('button', { id: 'pw-submit', type: 'submit', class: 'primary' }, t('account.pw_change'));
		var form = el('form', { novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			var msg = nw.value.length < 12 ? t('pw.too_short') : nw.value !== again.value ? t('pw.mismatch') : '';
			if (msg) {
				err.textContent = msg;
				err.hidden = false;
				return;
			}
			busy(btn, function () {
				return api('POST', '/me/password', { old: old.value, new: nw.value }).then(function () {
					old.value = nw.value = again.value = '';
					flash(t('account.pw_changed'));
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, [userField(S.userName), field(t('account.pw_old'), old), field(t('account.pw_new'), nw, t('pw.rule')), field(t('account.pw_again'), again), err, btn]);
		return card(t('account.pw_title'), form);
	}

	function totpCard() {
		var out = el('div', { id: 'totp-setup', hidden: true });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var start = el('button', { id: 'totp-start', type: 'button', onclick: function () {
			err.hidden = true;
			busy(start, function () {
				return api('POST', '/me/totp').then(function (r) {
					var code = el('input', { id: 'totp-code', type: 'text', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: 6,
						autocomplete: 'one-time-code', required: true });
					var cur = el('input', { id: 'totp-password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
					var ok = el('button', { id: 'totp-confirm', type: 'submit', class: 'primary' }, t('account.totp_confirm'));
					var secret = String(r.secret || '').replace(/(.{4})/g, '$1 ').trim();
					clear(out);
					append(out, [
						el('p', null, t('account.totp_step1')),
						el('p', null, el('code', { id: 'totp-secret', class: 'secret big-secret' }, secret)),
						el('details', null, [el('summary', null, t('account.totp_uri')), el('code', { class: 'secret' }, String(r.uri || ''))]),
						el('form', { class: 'inline', onsubmit: function (ev) {
							ev.preventDefault();
							err.hidden = true;
							busy(ok, function () {
								/* rest.c wants the secret back with the code (the doc says only the code) */
								/* and the current password: a session alone may not change the second factor */
								return api('POST', '/me/totp/confirm', { secret: String(r.secret || ''), code: code.value.trim(), password: cur.value }).then(function () {
									cur.value = '';
									if (S.me.user && typeof S.me.user === 'object')
										S.me.user.totp = true;
									clear(out);
									out.appendChild(el('p', { class: 'notice' }, t('account.totp_on')));
									flash(t('account.totp_on'));
								}, function (e) {
									err.textContent = errText(e);
									err.hidden = false;
								});
							});
						} }, [el('label', { for: 'totp-code' }, t('account.totp_step2')), code,
							el('label', { for: 'totp-password' }, t('account.pw_old')), cur, ok])
					]);
					out.hidden = false;
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, t('account.totp_start'));
		var on = S.me.user && typeof S.me.user === 'object' ? S.me.user.totp : undefined;
		return card(t('account.totp_title'), [
			on === undefined ? null : el('p', { id: 'totp-state', class: on ? 'state-line ok' : 'state-line' }, on ? t('account.totp_is_on') : t('account.totp_is_off')),
			el('p', { class: 'muted' }, t('account.totp_intro')), start, err, out]);
	}

	function apiTokenCard() {
		var name = el('input', { id: 'apitoken-name', type: 'text', required: true, maxlength: 64, pattern: '[A-Za-z0-9._@-]+', spellcheck: 'false' });
		var ttl = selectEl({ id: 'apitoken-ttl' }, [['2592000', t('account.token_ttl_30')], ['7776000', t('account.token_ttl_90')],
			['31536000', t('account.token_ttl_365')]], '7776000');
		var out = el('div', { id: 'apitoken-result', hidden: true });
		var err = el('p', { class: 'error', role: 'alert', hidden: true });
		var list = el('div', { id: 'apitoken-list' }, loading());
		var btn = el('button', { id: 'apitoken-create', type: 'submit' }, t('account.token_create'));
		/* The caller's tokens: expiry, last use, and a way to revoke each. */
		function reload() {
			return api('GET', '/api-tokens').then(function (r) {
				var toks = Array.isArray(r.tokens) ? r.tokens : [];
				clear(list);
				list.appendChild(table({ id: 'apitoken-table', class: 'data' },
					[t('account.token_name'), t('account.token_expires'), t('account.token_last_used'), ['', 'actions-col']],
					toks.map(function (k) {
						var rv = el('button', { type: 'button', class: 'small-button danger', 'data-name': String(k.name), onclick: function () {
							if (!window.confirm(t('account.token_revoke_confirm', { name: String(k.name) })))
								return;
							busy(rv, function () {
								return api('POST', '/api-tokens/' + encodeURIComponent(String(k.name)) + '/revoke').then(function () {
									flash(t('account.token_revoked', { name: String(k.name) }));
									return reload();
								}, function (e) {
									err.textContent = errText(e);
									err.hidden = false;
								});
							});
						} }, t('account.token_revoke'));
						return el('tr', { class: 'apitoken-row', 'data-name': k.name }, [
							el('td', null, el('strong', null, String(k.name))),
							el('td', { class: 'nowrap' }, k.expires_at ? timeEl(k.expires_at) : t('time.never')),
							el('td', { class: 'nowrap' }, agoEl(k.last_used)),
							el('td', { class: 'actions-col' }, rv)
						]);
					}), t('account.tokens_none')));
			}, function (e) {
				clear(list);
				list.appendChild(errorBox(e, t('account.tokens_load_failed')));
			});
		}
		var form = el('form', { novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			err.hidden = true;
			if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name.value)) {
				err.textContent = t('users.bad_name');
				err.hidden = false;
				return;
			}
			busy(btn, function () {
				return api('POST', '/api-tokens', { name: name.value, ttl: num(ttl.value) }).then(function (r) {
					clear(out);
					append(out, [el('p', { class: 'warn' }, t('token.once')),
						el('p', null, [el('code', { class: 'secret', id: 'apitoken-value' }, String(r.token || '')), copyButton(String(r.token || ''))])]);
					out.hidden = false;
					name.value = '';
					return reload();
				}, function (e) {
					err.textContent = errText(e);
					err.hidden = false;
				});
			});
		} }, [field(t('account.token_name'), name, t('account.token_hint')), field(t('account.token_ttl'), ttl), err, btn]);
		reload();
		return card(t('account.token_title'), [form, out, list]);
	}

	/* ---- start ------------------------------------------------------------------------------- */

	function wireShell() {
		var sw = $('lang-switch');
		sw.addEventListener('change', function () {
			setLang(sw.value);
			route();
		});
		var b = $('user-menu-button');
		b.addEventListener('click', function (ev) {
			ev.stopPropagation();
			var open = b.getAttribute('aria-expanded') !== 'true';
			b.setAttribute('aria-expanded', String(open));
			$('user-menu-list').hidden = !open;
		});
		document.addEventListener('click', function (ev) {
			if (!ev.target.closest('#user-menu'))
				closeUserMenu();
		});
		document.addEventListener('keydown', function (ev) {
			if (ev.key === 'Escape')
				closeUserMenu();
		});
		$('logout').addEventListener('click', logout);
		window.addEventListener('hashchange', route);
	}

	function start() {
		setLang(pickLang());
		wireShell();
		showShell();
		api('GET', '/me').then(function (me) {
			return startSession(me);
		}, function (e) {
			if (e.status !== 401)
				S.loginNote = '';
			if (location.hash && location.hash.indexOf('#/login') !== 0)
				S.returnTo = location.hash;
			renderLogin();
			if (e.status !== 401 && e.status !== 403) {
				var le = $('login-error');
				if (le) {
					le.textContent = errText(e);
					le.hidden = false;
				}
			}
		});
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
}());
