/*
 * services.js - the Services page of kastro-console's web UI (#/services):
 * one row per service of the inventory with its state, since when, the
 * response time, uptime over 24 hours, 30 and 365 days, and the soonest
 * certificate expiry; filters by owner and criticality (kept in the
 * route's query). Data: GET /api/v1/services (docs/rest-api.md).
 *
 * app.js calls window.KastroServices.page(ui, query) with its helpers; this
 * file brings its own strings (English and Greek) into the string tables.
 */
(function () {
	'use strict';

	var I = window.KASTRO_I18N = window.KASTRO_I18N || {};
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
		'svc.days': '{d} days'
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
		'svc.days': '{d} ημέρες'
	};
	function merge(lang, table) {
		I[lang] = I[lang] || {};
		Object.keys(table).forEach(function (k) {
			if (!(k in I[lang]))
				I[lang][k] = table[k];
		});
	}
	merge('en', en);
	merge('el', el_);

	var CRITS = ['low', 'medium', 'high', 'critical'];

	function pct(v) {
		return v === null || v === undefined ? '–' : (Math.floor(v * 10000) / 100).toFixed(2) + ' %';
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
			t('svc.response'), t('svc.up24'), t('svc.up30'), t('svc.up365'), t('svc.cert')];
		var ok = 0;
		var rows = list.map(function (s) {
			if (s.state === 'OK')
				ok++;
			var st = el('span', { class: 'svc-state svc-' + s.state }, [
				el('span', { class: 'dot', 'aria-hidden': 'true' }), t('svcstate.' + s.state)]);
			var days = s.cert_expiry ? Math.floor((s.cert_expiry - now) / 86400) : null;
			return el('tr', { class: 'service-row', 'data-name': s.name, 'data-state': s.state }, [
				el('td', null, String(s.name)),
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
			]);
		});
		append(root, [
			el('p', { class: 'muted', id: 'services-summary' },
				t('svc.summary', { n: list.length, ok: ok, bad: list.length - ok })),
			ui.table({ id: 'services-table', class: 'data' }, heads, rows, t('svc.none'))
		]);
	}

	window.KastroServices = { page: page };
}());
