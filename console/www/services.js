/*
 * services.js - the Services page of kastro-console's web UI (#/services):
 * one row per service of the inventory with its state, since when, the
 * response time, uptime over 24 hours, 30 and 365 days, and the soonest
 * certificate expiry, and its backups as the agents last checked them
 * (the newest snapshot's age against the RPO, the last integrity check and
 * the last restore test; with several backups, the worst of them);
 * filters by owner and criticality (kept in the
 * route's query). Data: GET /api/v1/services (docs/rest-api.md).
 *
 * app.js calls window.KastroServices.page(ui, query) with its helpers; this
 * file brings its own strings (English and Greek) into the string tables.
 */
(function () {
	'use strict';

	var en = {
		'nav.services': 'Services',
		'svc.load_failed': 'Could not load the services',
		'svc.none': 'No services in the inventory (console.conf: include "services.conf").',
		'svc.owner': 'Owner', 'svc.criticality': 'Criticality', 'svc.all': 'All',
		'svc.state': 'State', 'svc.since': 'Since', 'svc.response': 'Response',
		'svc.up24': 'Uptime 24 h', 'svc.up30': '30 d', 'svc.up365': '365 d',
		'svc.cert': 'Certificate', 'svc.name': 'Service',
		'svc.summary': '{n} services: {ok} OK, {bad} with a problem.',
		'svc.maintenance': 'in maintenance',
		'crit.low': 'low', 'crit.medium': 'medium', 'crit.high': 'high', 'crit.critical': 'critical',
		'svcstate.OK': 'OK', 'svcstate.WARNING': 'Warning', 'svcstate.CRITICAL': 'Critical',
		'svcstate.UNKNOWN': 'Unknown', 'svcstate.UNREACHABLE': 'Unreachable', 'svcstate.PENDING': 'Pending',
		'svc.days': '{d} days',
		'svc.backup': 'Backup / RPO', 'svc.verified': 'Verified', 'svc.restore': 'Restore test',
		'svc.failed': 'failed', 'svc.passed': 'passed', 'svc.nobackup': 'not reported'
	};
	var el_ = {
		'nav.services': 'Υπηρεσίες',
		'svc.load_failed': 'Δεν φορτώθηκαν οι υπηρεσίες',
		'svc.none': 'Δεν υπάρχουν υπηρεσίες στον κατάλογο (console.conf: include "services.conf").',
		'svc.owner': 'Υπεύθυνη υπηρεσία', 'svc.criticality': 'Κρισιμότητα', 'svc.all': 'Όλες',
		'svc.state': 'Κατάσταση', 'svc.since': 'Από', 'svc.response': 'Απόκριση',
		'svc.up24': 'Διαθεσιμότητα 24 ώρ.', 'svc.up30': '30 ημ.', 'svc.up365': '365 ημ.',
		'svc.cert': 'Πιστοποιητικό', 'svc.name': 'Υπηρεσία',
		'svc.summary': '{n} υπηρεσίες: {ok} σε λειτουργία, {bad} με πρόβλημα.',
		'svc.maintenance': 'σε συντήρηση',
		'crit.low': 'χαμηλή', 'crit.medium': 'μέτρια', 'crit.high': 'υψηλή', 'crit.critical': 'κρίσιμη',
		'svcstate.OK': 'Εντάξει', 'svcstate.WARNING': 'Προειδοποίηση', 'svcstate.CRITICAL': 'Κρίσιμο',
		'svcstate.UNKNOWN': 'Άγνωστο', 'svcstate.UNREACHABLE': 'Μη προσβάσιμη', 'svcstate.PENDING': 'Σε αναμονή',
		'svc.days': '{d} ημέρες',
		'svc.backup': 'Αντίγραφο / RPO', 'svc.verified': 'Έλεγχος ακεραιότητας', 'svc.restore': 'Δοκιμή επαναφοράς',
		'svc.failed': 'απέτυχε', 'svc.passed': 'επιτυχής', 'svc.nobackup': 'χωρίς αναφορά'
	};
	window.KASTRO_I18N_ADD('en', en);
	window.KASTRO_I18N_ADD('el', el_);

	var CRITS = ['low', 'medium', 'high', 'critical'];

	function pct(v) {
		return v === null || v === undefined ? '–' : (Math.floor(v * 10000) / 100).toFixed(2) + ' %';
	}

	/* 90 s, 12 min, 3 h, 2 d */
	function dur(v) {
		if (v < 120)
			return Math.max(0, Math.round(v)) + ' s';
		if (v < 7200)
			return Math.round(v / 60) + ' min';
		if (v < 172800)
			return Math.round(v / 3600) + ' h';
		return Math.round(v / 86400) + ' d';
	}

	/* The backups' three cells: the worst backup's age against the RPO,
	 * the oldest (or a failed) integrity check, the oldest (or a failed)
	 * restore test. */
	function backupCells(ui, s) {
		var t = ui.t, el = ui.el, b = s.backups || [];
		if (!b.length)
			return [el('td', null, '–'), el('td', null, '–'), el('td', null, '–')];
		var age = null, missed = false, unknown = false;
		b.forEach(function (x) {
			if (x.rpo_state === 'CRITICAL')
				missed = true;
			if (x.age === null || x.age === undefined)
				unknown = true;
			else if (age === null || x.age > age)
				age = x.age;
		});
		/* a failure first (the latest); else, when every backup has one, the oldest */
		function worst(at, ok) {
			var failed = null, oldest = null, missing = false;
			b.forEach(function (x) {
				if (at === 'restore_at' && x.kind === 'dir')
					return;         /* a dump directory has no restore test */
				if (!x[at]) {
					missing = true;
					return;
				}
				if (x[ok] === false && (!failed || x[at] > failed.at))
					failed = { at: x[at], ok: false };
				if (!oldest || x[at] < oldest.at)
					oldest = { at: x[at], ok: x[ok] };
			});
			return failed || (missing ? null : oldest);
		}
		function cell(w, cls) {
			if (!w || !w.at)
				return el('td', { class: 'nowrap muted ' + cls }, t('svc.nobackup'));
			return el('td', { class: 'nowrap ' + cls + (w.ok === false ? ' svc-CRITICAL' : '') }, [
				w.ok === false ? t('svc.failed') : t('svc.passed'), ' ', ui.agoEl(w.at)]);
		}
		var st = missed ? 'CRITICAL' : unknown ? 'UNKNOWN' : 'OK';
		var txt = (age === null ? t('svc.nobackup') : dur(age)) + (s.rpo ? ' / ' + dur(s.rpo) : '');
		return [
			el('td', { class: 'nowrap svc-backup svc-' + st, 'data-rpo': st }, txt),
			cell(worst('verified_at', 'verify_ok'), 'svc-verified'),
			cell(worst('restore_at', 'restore_ok'), 'svc-restore')
		];
	}

	function page(ui, query) {
		var t = ui.t, el = ui.el, gen = ui.S.gen;
		var main = ui.beginPage('nav.services');
		var owner = query.get('owner') || '', crit = query.get('criticality') || '';
		var ownerSel = ui.selectEl({ id: 'svc-owner' }, [['', t('svc.all')]], owner);
		var critSel = ui.selectEl({ id: 'svc-crit' }, [['', t('svc.all')]].concat(CRITS.map(function (c) {
			return [c, t('crit.' + c)];
		})), crit);
		function go() {
			location.hash = '#/services' + ui.qs({ owner: ownerSel.value, criticality: critSel.value });
		}
		ownerSel.addEventListener('change', go);
		critSel.addEventListener('change', go);
		var body = el('div', { id: 'services-body' }, ui.loading());
		append(main, [ui.pageHead(t('nav.services'), [
			el('label', { for: 'svc-owner' }, t('svc.owner')), ownerSel,
			el('label', { for: 'svc-crit' }, t('svc.criticality')), critSel,
			el('a', { id: 'svc-sla', href: '#/sla' }, t('sla.link'))]), body]);
		/* every owner in the inventory for the filter, then the filtered rows */
		ui.api('GET', '/services').then(function (all) {
			var owners = {};
			all.services.forEach(function (s) { if (s.owner) owners[s.owner] = 1; });
			Object.keys(owners).sort().forEach(function (o) {
				ownerSel.appendChild(el('option', { value: o }, o));
			});
			ownerSel.value = owner;
			return ui.api('GET', '/services' + ui.qs({ owner: owner, criticality: crit }));
		}).then(function (d) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			render(ui, body, d.services);
		}, function (e) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			body.appendChild(ui.errorBox(e, t('svc.load_failed')));
		});
	}

	function append(n, kids) {
		kids.forEach(function (k) { if (k) n.appendChild(k); });
	}

	function render(ui, root, list) {
		var t = ui.t, el = ui.el, now = Date.now() / 1000;
		var heads = [t('svc.name'), t('svc.owner'), t('svc.criticality'), t('svc.state'), t('svc.since'),
			t('svc.response'), t('svc.up24'), t('svc.up30'), t('svc.up365'), t('svc.cert'),
			t('svc.backup'), t('svc.verified'), t('svc.restore')];
		var ok = 0;
		var rows = list.map(function (s) {
			if (s.state === 'OK')
				ok++;
			var st = el('span', { class: 'svc-state svc-' + s.state }, [
				el('span', { class: 'dot', 'aria-hidden': 'true' }), t('svcstate.' + s.state)]);
			var days = s.cert_expiry ? Math.floor((s.cert_expiry - now) / 86400) : null;
			return el('tr', { class: 'service-row', 'data-name': s.name, 'data-state': s.state }, [
				el('td', null, el('a', { class: 'svc-link', href: '#/services/' + encodeURIComponent(s.name) }, String(s.name))),
				el('td', null, String(s.owner || '')),
				el('td', null, t('crit.' + s.criticality)),
				el('td', null, [st, s.in_maintenance ? el('span', { class: 'muted small' }, ' (' + t('svc.maintenance') + ')') : null]),
				el('td', { class: 'nowrap' }, s.since ? ui.agoEl(s.since) : '–'),
				el('td', { class: 'num' }, s.response_ms === null ? '–' : ui.fmtNum(s.response_ms) + ' ms'),
				el('td', { class: 'num' }, pct(s.uptime_24h)),
				el('td', { class: 'num' }, pct(s.uptime_30d)),
				el('td', { class: 'num' }, pct(s.uptime_365d)),
				el('td', { class: 'nowrap' + (days !== null && days < 21 ? ' cert-soon' : '') },
					days === null ? '–' : t('svc.days', { d: days }))
			].concat(backupCells(ui, s)));
		});
		append(root, [
			el('p', { class: 'muted', id: 'services-summary' },
				t('svc.summary', { n: list.length, ok: ok, bad: list.length - ok })),
			ui.table({ id: 'services-table', class: 'data' }, heads, rows, t('svc.none'))
		]);
	}

	window.KastroServices = { page: page };
}());
