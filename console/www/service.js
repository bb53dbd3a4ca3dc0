/*
 * service.js - one service's page of kastro-console's web UI
 * (#/services/NAME[?days=N]): its state and since when, a timeline of the
 * window (the service's state, the worst of its checks', and its
 * maintenance windows below it), a response-time chart per check, the
 * checks with their last outputs, the maintenance windows as written, the
 * dependencies (links to their pages), the addresses and ports, and the
 * backups. Data: GET /api/v1/services/NAME?days=N (docs/rest-api.md).
 *
 * Charts are inline SVG made with DOM calls (no library, no inline style:
 * the console's CSP allows neither); outputs come from probes, plugins and
 * pinging jobs and are put in as text, never as markup.
 *
 * app.js calls window.KastroService.page(ui, name, query).
 */
(function () {
	'use strict';

	var SVGNS = 'http://www.w3.org/2000/svg';
	var en = {
		'svcp.back': 'All services',
		'svcp.load_failed': 'Could not load the service',
		'svcp.window': 'Window',
		'svcp.days': '{d} days',
		'svcp.timeline': 'State over the last {d} days',
		'svcp.maint_band': 'maintenance',
		'svcp.nodata': 'no data',
		'svcp.response': 'Response time',
		'svcp.no_points': 'No response times in this window.',
		'svcp.checks': 'Checks',
		'svcp.kind': 'Kind', 'svcp.target': 'Target', 'svcp.every': 'Every', 'svcp.runs_on': 'Runs on',
		'svcp.state': 'State', 'svcp.since': 'Since', 'svcp.last': 'Last run', 'svcp.ms': 'Response',
		'svcp.output': 'Last output',
		'svcp.console': 'console', 'svcp.sensor': 'sensor {s}',
		'svcp.maintenance': 'Maintenance windows',
		'svcp.no_maint': 'No maintenance windows.',
		'svcp.once': 'once, from {at} for {len}', 'svcp.daily': 'daily at {at} for {len}',
		'svcp.weekly': 'weekly, {at} for {len}',
		'svcp.depends': 'Depends on', 'svcp.no_deps': 'No dependencies.',
		'svcp.facts': 'Facts', 'svcp.owner': 'Owner', 'svcp.criticality': 'Criticality',
		'svcp.rpo': 'RPO', 'svcp.rto': 'RTO', 'svcp.public': 'On the status page',
		'svcp.addresses': 'Addresses', 'svcp.ports': 'Ports', 'svcp.yes': 'yes', 'svcp.no': 'no',
		'svcp.backups': 'Backups', 'svcp.no_backups': 'No backups in the inventory.',
		'svcp.b_kind': 'Kind', 'svcp.b_where': 'Where', 'svcp.b_age': 'Newest',
		'svcp.b_rpo': 'RPO', 'svcp.b_verified': 'Integrity check', 'svcp.b_restore': 'Restore test',
		'svcp.history_cut': 'More state changes than shown: the timeline ends early.',
		'svcp.avg': 'mean', 'svcp.max': 'max'
	};
	var el_ = {
		'svcp.back': 'Όλες οι υπηρεσίες',
		'svcp.load_failed': 'Δεν φορτώθηκε η υπηρεσία',
		'svcp.window': 'Διάστημα',
		'svcp.days': '{d} ημέρες',
		'svcp.timeline': 'Κατάσταση τις τελευταίες {d} ημέρες',
		'svcp.maint_band': 'συντήρηση',
		'svcp.nodata': 'χωρίς δεδομένα',
		'svcp.response': 'Χρόνος απόκρισης',
		'svcp.no_points': 'Δεν υπάρχουν χρόνοι απόκρισης σε αυτό το διάστημα.',
		'svcp.checks': 'Έλεγχοι',
		'svcp.kind': 'Είδος', 'svcp.target': 'Στόχος', 'svcp.every': 'Κάθε', 'svcp.runs_on': 'Εκτελείται από',
		'svcp.state': 'Κατάσταση', 'svcp.since': 'Από', 'svcp.last': 'Τελευταίος έλεγχος', 'svcp.ms': 'Απόκριση',
		'svcp.output': 'Τελευταία έξοδος',
		'svcp.console': 'κονσόλα', 'svcp.sensor': 'αισθητήρας {s}',
		'svcp.maintenance': 'Παράθυρα συντήρησης',
		'svcp.no_maint': 'Δεν υπάρχουν παράθυρα συντήρησης.',
		'svcp.once': 'μία φορά, από {at} για {len}', 'svcp.daily': 'καθημερινά στις {at} για {len}',
		'svcp.weekly': 'εβδομαδιαία, {at} για {len}',
		'svcp.depends': 'Εξαρτάται από', 'svcp.no_deps': 'Χωρίς εξαρτήσεις.',
		'svcp.facts': 'Στοιχεία', 'svcp.owner': 'Υπεύθυνη υπηρεσία', 'svcp.criticality': 'Κρισιμότητα',
		'svcp.rpo': 'RPO', 'svcp.rto': 'RTO', 'svcp.public': 'Στη σελίδα κατάστασης',
		'svcp.addresses': 'Διευθύνσεις', 'svcp.ports': 'Θύρες', 'svcp.yes': 'ναι', 'svcp.no': 'όχι',
		'svcp.backups': 'Αντίγραφα ασφαλείας', 'svcp.no_backups': 'Δεν υπάρχουν αντίγραφα στον κατάλογο.',
		'svcp.b_kind': 'Είδος', 'svcp.b_where': 'Θέση', 'svcp.b_age': 'Νεότερο',
		'svcp.b_rpo': 'RPO', 'svcp.b_verified': 'Έλεγχος ακεραιότητας', 'svcp.b_restore': 'Δοκιμή επαναφοράς',
		'svcp.history_cut': 'Περισσότερες αλλαγές κατάστασης από όσες φαίνονται: η γραμμή χρόνου τελειώνει νωρίτερα.',
		'svcp.avg': 'μέσος', 'svcp.max': 'μέγιστος'
	};
	window.KASTRO_I18N_ADD('en', en);
	window.KASTRO_I18N_ADD('el', el_);

	var DAYS = [1, 7, 30, 90, 365];
	/* a check's state as the service shows it, and its rank (rest_services.c) */
	var SHOWN = { CRITICAL: ['CRITICAL', 5], down: ['CRITICAL', 5], UNREACHABLE: ['UNREACHABLE', 4],
		WARNING: ['WARNING', 3], late: ['WARNING', 3], UNKNOWN: ['UNKNOWN', 2], OK: ['OK', 1], up: ['OK', 1] };

	function svg(tag, attrs, kids) {
		var n = document.createElementNS(SVGNS, tag);
		Object.keys(attrs || {}).forEach(function (k) {
			n.setAttribute(k, String(attrs[k]));
		});
		(kids || []).forEach(function (k) {
			n.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
		});
		return n;
	}

	function dur(v) {
		if (!v)
			return '–';
		if (v % 86400 === 0)
			return v / 86400 + ' d';
		if (v % 3600 === 0)
			return v / 3600 + ' h';
		if (v % 60 === 0)
			return v / 60 + ' min';
		return v + ' s';
	}

	function when(ts, withTime) {
		var d = new Date(ts * 1000);
		var o = { month: '2-digit', day: '2-digit' };
		if (withTime) {
			o.hour = '2-digit';
			o.minute = '2-digit';
			o.hour12 = false;
		}
		return d.toLocaleString(document.documentElement.lang || undefined, o);
	}

	/*
	 * The service's segments over [from, to): at each change of any
	 * check the worst of the checks' states ('none' while none is known).
	 */
	function segments(checks, from, to) {
		var ev = [], cur = {}, out = [];
		checks.forEach(function (c, i) {
			(c.history || []).forEach(function (h) {
				ev.push({ ts: Math.max(h.ts, from), i: i, state: h.state });
			});
		});
		ev.sort(function (a, b) { return a.ts - b.ts; });
		function worst() {
			var w = 'none', r = 0;
			Object.keys(cur).forEach(function (i) {
				var s = SHOWN[cur[i]];
				if (s && s[1] > r) {
					r = s[1];
					w = s[0];
				}
			});
			return w;
		}
		var at = from, st = 'none';
		for (var k = 0; k < ev.length; k++) {
			var e = ev[k];
			if (e.ts > at) {
				out.push({ from: at, to: e.ts, state: st });
				at = e.ts;
			}
			cur[e.i] = e.state;
			st = worst();
		}
		if (to > at)
			out.push({ from: at, to: to, state: st });
		/* join neighbours in the same state */
		return out.reduce(function (a, s) {
			var last = a[a.length - 1];
			if (last && last.state === s.state)
				last.to = s.to;
			else
				a.push({ from: s.from, to: s.to, state: s.state });
			return a;
		}, []);
	}

	function timeline(ui, d) {
		var t = ui.t, W = 1000, H = 46, from = d.window.from, to = d.window.to;
		var x = function (ts) { return ((ts - from) / (to - from) * W).toFixed(2); };
		var segs = segments(d.checks, from, to);
		/* a problem of minutes in a year still shows: at least 0.3 % of the bar */
		var minW = function (st) { return st === 'OK' || st === 'none' ? 0.5 : 3; };
		var g = svg('svg', { id: 'svc-timeline', class: 'svc-timeline', viewBox: '0 0 ' + W + ' ' + H,
			preserveAspectRatio: 'none', role: 'img', 'aria-label': t('svcp.timeline', { d: d.window.days }) });
		/* problems last, so that a widened one is not drawn over */
		segs.filter(function (s) { return minW(s.state) < 1; }).concat(segs.filter(function (s) {
			return minW(s.state) >= 1;
		})).forEach(function (s) {
			var r = svg('rect', { class: 'seg seg-' + s.state, 'data-state': s.state, 'data-from': s.from,
				'data-to': s.to, x: x(s.from), y: 0, width: Math.max(minW(s.state), x(s.to) - x(s.from)), height: 30 }, [
				svg('title', null, [(s.state === 'none' ? t('svcp.nodata') : t('svcstate.' + s.state)) + ': ' +
					when(s.from, true) + ' – ' + when(s.to, true)])]);
			g.appendChild(r);
		});
		(d.maintenance_spans || []).forEach(function (m) {
			g.appendChild(svg('rect', { class: 'seg seg-maint', 'data-state': 'maintenance', 'data-from': m.from,
				'data-to': m.to, x: x(m.from), y: 34,
				width: Math.max(0.5, x(m.to) - x(m.from)), height: 12 }, [
				svg('title', null, [t('svcp.maint_band') + ': ' + when(m.from, true) + ' – ' + when(m.to, true)])]));
		});
		var legend = ui.el('p', { class: 'svc-legend small muted' }, [when(from, true) + ' … ' + when(to, true) + '  ·  ']
			.concat(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'UNREACHABLE'].map(function (s) {
				return ui.el('span', { class: 'key key-' + s }, t('svcstate.' + s) + ' ');
			})).concat([ui.el('span', { class: 'key key-maint' }, t('svcp.maint_band'))]));
		return [g, legend];
	}

	/* A check's response times: the mean per point as a line, axes labelled. */
	function chart(ui, c, d, i) {
		var t = ui.t, W = 600, H = 160, L = 56, R = 8, T = 10, B = 24;
		var pts = c.response || [], to = d.window.to;
		if (!pts.length)
			return ui.el('p', { class: 'muted small svc-nochart', 'data-check': c.key }, t('svcp.no_points'));
		/* the axis starts at the first point: a newer check's points are not squeezed to the right */
		var from = Math.min(pts[0].ts, to - 60);
		var top = 1;
		pts.forEach(function (p) { if (p.ms > top) top = p.ms; });
		top = Math.ceil(top * 1.1);
		var x = function (ts) { return (L + (ts - from) / (to - from) * (W - L - R)).toFixed(1); };
		var y = function (ms) { return (T + (1 - ms / top) * (H - T - B)).toFixed(1); };
		var line = pts.map(function (p) { return x(p.ts) + ',' + y(p.ms); }).join(' ');
		var g = svg('svg', { class: 'svc-chart', id: 'svc-chart-' + i, 'data-check': c.key, 'data-points': pts.length,
			viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': t('svcp.response') + ': ' + c.key }, [
			svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
			svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
			svg('text', { class: 'axis-label', x: L - 4, y: T + 8, 'text-anchor': 'end' }, [top + ' ms']),
			svg('text', { class: 'axis-label', x: L - 4, y: H - B, 'text-anchor': 'end' }, ['0 ms']),
			svg('text', { class: 'axis-label', x: L, y: H - 6, 'text-anchor': 'start' }, [when(from, true)]),
			svg('text', { class: 'axis-label', x: W - R, y: H - 6, 'text-anchor': 'end' }, [when(to, true)]),
			svg('polyline', { class: 'rt-line', points: line })
		]);
		if (pts.length === 1)
			g.appendChild(svg('circle', { class: 'rt-dot', cx: x(pts[0].ts), cy: y(pts[0].ms), r: 3 }));
		var last = pts[pts.length - 1];
		return ui.el('figure', { class: 'svc-figure' }, [g, ui.el('figcaption', { class: 'small muted' },
			c.key + ' · ' + t('svcp.avg') + ' ' + Math.round(last.ms) + ' ms, ' + t('svcp.max') + ' ' + last.max + ' ms')]);
	}

	function stateEl(ui, s) {
		var shown = SHOWN[s] ? SHOWN[s][0] : 'PENDING';
		return ui.el('span', { class: 'svc-state svc-' + shown }, [
			ui.el('span', { class: 'dot', 'aria-hidden': 'true' }), ui.t('svcstate.' + shown)]);
	}

	function checksTable(ui, d) {
		var t = ui.t, el = ui.el;
		var rows = d.checks.map(function (c) {
			var out = c.kind === 'push' && c.last_body ? c.last_body : c.output;
			return el('tr', { class: 'check-row', 'data-key': c.key, 'data-state': c.state }, [
				el('td', null, c.kind),
				el('td', { class: 'wrap' }, c.name ? c.name + ' (' + c.target + ')' : c.target),
				el('td', { class: 'nowrap' }, c.kind === 'push' ? dur(c.period) : dur(c.every)),
				el('td', null, c.runs_on === 'sensor' ? t('svcp.sensor', { s: c.sensor }) : t('svcp.console')),
				el('td', null, stateEl(ui, c.state)),
				el('td', { class: 'nowrap' }, c.since ? ui.agoEl(c.since) : '–'),
				el('td', { class: 'nowrap' }, c.last_check ? ui.agoEl(c.last_check) : '–'),
				el('td', { class: 'num' }, c.response_ms === null ? '–' : ui.fmtNum(c.response_ms) + ' ms'),
				el('td', { class: 'check-output' }, el('pre', { class: 'output' }, out || ''))
			]);
		});
		return ui.table({ id: 'svc-checks', class: 'data' }, [t('svcp.kind'), t('svcp.target'), t('svcp.every'),
			t('svcp.runs_on'), t('svcp.state'), t('svcp.since'), t('svcp.last'), t('svcp.ms'), t('svcp.output')], rows);
	}

	function maintList(ui, d) {
		var t = ui.t, el = ui.el;
		if (!d.maintenance.length)
			return el('p', { class: 'muted', id: 'svc-maint' }, t('svcp.no_maint'));
		return el('ul', { id: 'svc-maint' }, d.maintenance.map(function (m) {
			if (m.kind === 'once')
				return el('li', null, t('svcp.once', { at: when(m.start, true), len: dur(m.length) }));
			return el('li', null, t('svcp.' + m.kind, { at: m.at, len: dur(m.length) }));
		}));
	}

	function depList(ui, d) {
		var el = ui.el;
		if (!d.depends.length)
			return el('p', { class: 'muted', id: 'svc-deps' }, ui.t('svcp.no_deps'));
		return el('ul', { id: 'svc-deps' }, d.depends.map(function (n) {
			return el('li', null, el('a', { href: '#/services/' + encodeURIComponent(n) }, n));
		}));
	}

	function facts(ui, d) {
		var t = ui.t, el = ui.el;
		var rows = [
			['svcp.owner', d.owner || '–'], ['svcp.criticality', t('crit.' + d.criticality)],
			['svcp.rpo', dur(d.rpo)], ['svcp.rto', dur(d.rto)],
			['svcp.public', d.public ? t('svcp.yes') : t('svcp.no')],
			['svcp.addresses', (d.addresses || []).join(', ') || '–'],
			['svcp.ports', (d.ports || []).map(function (p) {
				return p.proto + ' ' + (p.from === p.to ? p.from : p.from + '-' + p.to);
			}).join(', ') || '–']
		];
		return el('dl', { class: 'facts', id: 'svc-facts' }, rows.reduce(function (a, r) {
			return a.concat([el('dt', null, t(r[0])), el('dd', null, String(r[1]))]);
		}, []));
	}

	function backupsTable(ui, d) {
		var t = ui.t, el = ui.el, b = d.backups || [];
		var rows = b.map(function (x) {
			function res(at, ok, why) {
				if (!x[at])
					return el('td', { class: 'muted' }, t('svc.nobackup'));
				return el('td', { class: x[ok] === false ? 'svc-CRITICAL' : '' },
					[x[ok] === false ? t('svc.failed') : t('svc.passed'), ' ', ui.agoEl(x[at]),
						x[ok] === false && x[why] ? el('div', { class: 'small' }, String(x[why])) : null]);
			}
			return el('tr', { class: 'backup-row' }, [
				el('td', null, String(x.kind || '')),
				el('td', { class: 'wrap' }, String(x.repository || '') + (x.host ? ' @ ' + x.host : '')),
				el('td', { class: 'nowrap' }, x.newest ? ui.agoEl(x.newest) : t('svc.nobackup')),
				el('td', null, stateEl(ui, x.rpo_state || 'UNKNOWN')),
				res('verified_at', 'verify_ok', 'verify_error'),
				res('restore_at', 'restore_ok', 'restore_error')
			]);
		});
		return ui.table({ id: 'svc-backups', class: 'data' }, [t('svcp.b_kind'), t('svcp.b_where'), t('svcp.b_age'),
			t('svcp.b_rpo'), t('svcp.b_verified'), t('svcp.b_restore')], rows, t('svcp.no_backups'));
	}

	function section(ui, title, kids) {
		return ui.el('section', { class: 'card' }, [ui.el('h2', null, title)].concat(kids));
	}

	function page(ui, name, query) {
		var t = ui.t, el = ui.el, gen = ui.S.gen;
		var days = parseInt(query.get('days') || '7', 10);
		if (!(days >= 1 && days <= 365))
			days = 7;
		var main = ui.beginPage('nav.services', name);
		var sel = ui.selectEl({ id: 'svc-days' }, DAYS.map(function (n) {
			return [String(n), t('svcp.days', { d: n })];
		}), String(days));
		if (DAYS.indexOf(days) < 0)
			sel.appendChild(el('option', { value: String(days) }, t('svcp.days', { d: days })));
		sel.value = String(days);
		sel.addEventListener('change', function () {
			location.hash = '#/services/' + encodeURIComponent(name) + ui.qs({ days: sel.value });
		});
		var body = el('div', { id: 'service-body' }, ui.loading());
		main.appendChild(ui.pageHead(name, [el('a', { id: 'svc-back', href: '#/services' }, t('svcp.back')),
			el('label', { for: 'svc-days' }, t('svcp.window')), sel]));
		main.appendChild(body);
		ui.api('GET', '/services/' + encodeURIComponent(name) + ui.qs({ days: days })).then(function (d) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			render(ui, body, d);
		}, function (e) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			body.appendChild(ui.errorBox(e, t('svcp.load_failed')));
		});
	}

	function render(ui, root, d) {
		var t = ui.t, el = ui.el;
		var cut = d.checks.some(function (c) { return c.history_cut; });
		root.appendChild(el('p', { id: 'service-head', class: 'service-head', 'data-state': d.state }, [
			el('span', { class: 'svc-state svc-' + d.state }, [el('span', { class: 'dot', 'aria-hidden': 'true' }),
				t('svcstate.' + d.state)]),
			' ', d.since ? ui.agoEl(d.since) : '',
			d.in_maintenance ? el('span', { class: 'muted' }, ' (' + t('svc.maintenance') + ')') : null]));
		root.appendChild(section(ui, t('svcp.timeline', { d: d.window.days }),
			timeline(ui, d).concat(cut ? [el('p', { class: 'notice' }, t('svcp.history_cut'))] : [])));
		root.appendChild(section(ui, t('svcp.response'), d.checks.filter(function (c) {
			return c.kind !== 'push';
		}).map(function (c, i) { return chart(ui, c, d, i); })));
		root.appendChild(section(ui, t('svcp.checks'), [checksTable(ui, d)]));
		root.appendChild(el('div', { class: 'svc-cols' }, [
			section(ui, t('svcp.facts'), [facts(ui, d)]),
			section(ui, t('svcp.maintenance'), [maintList(ui, d)]),
			section(ui, t('svcp.depends'), [depList(ui, d)])]));
		root.appendChild(section(ui, t('svcp.backups'), [backupsTable(ui, d)]));
	}

	window.KastroService = { page: page };
}());
