/*
 * sla.js - the SLA report page of kastro-console's web UI (#/sla?month=):
 * per service of the inventory and calendar month, availability leaving
 * out maintenance, downtime, outages and the longest, maintenance time and
 * whether the RPO was met; a month picker, the CSV and a Print button (the
 * print style leaves out the menus). Data: GET /api/v1/sla
 * (docs/rest-api.md).
 *
 * app.js calls window.KastroSLA.page(ui, query) with its helpers; this file
 * brings its own strings (English and Greek) into the string tables.
 */
(function () {
	'use strict';

	var en = {
		'sla.title': 'SLA report',
		'sla.month': 'Month',
		'sla.csv': 'CSV',
		'sla.print': 'Print',
		'sla.load_failed': 'Could not load the SLA report',
		'sla.none': 'No services for this month.',
		'sla.service': 'Service', 'sla.owner': 'Owner', 'sla.criticality': 'Criticality',
		'sla.availability': 'Availability', 'sla.downtime': 'Downtime', 'sla.outages': 'Outages',
		'sla.longest': 'Longest outage', 'sla.maintenance': 'Maintenance', 'sla.rpo': 'RPO',
		'sla.rpo_met': 'met', 'sla.rpo_missed': 'missed', 'sla.rpo_unknown': 'unknown',
		'sla.note': 'Availability: time up over time known, both outside maintenance windows (local time).',
		'sla.truncated': 'incomplete: too many state changes',
		'sla.link': 'SLA report'
	};
	var el_ = {
		'sla.title': 'Αναφορά επιπέδου υπηρεσιών (SLA)',
		'sla.month': 'Μήνας',
		'sla.csv': 'CSV',
		'sla.print': 'Εκτύπωση',
		'sla.load_failed': 'Δεν φορτώθηκε η αναφορά SLA',
		'sla.none': 'Δεν υπάρχουν υπηρεσίες για αυτόν τον μήνα.',
		'sla.service': 'Υπηρεσία', 'sla.owner': 'Υπεύθυνη υπηρεσία', 'sla.criticality': 'Κρισιμότητα',
		'sla.availability': 'Διαθεσιμότητα', 'sla.downtime': 'Χρόνος εκτός λειτουργίας', 'sla.outages': 'Διακοπές',
		'sla.longest': 'Μεγαλύτερη διακοπή', 'sla.maintenance': 'Συντήρηση', 'sla.rpo': 'RPO',
		'sla.rpo_met': 'τηρήθηκε', 'sla.rpo_missed': 'δεν τηρήθηκε', 'sla.rpo_unknown': 'άγνωστο',
		'sla.note': 'Διαθεσιμότητα: χρόνος λειτουργίας προς γνωστό χρόνο, εκτός των παραθύρων συντήρησης (τοπική ώρα).',
		'sla.truncated': 'ελλιπές: πάρα πολλές αλλαγές κατάστασης',
		'sla.link': 'Αναφορά SLA'
	};
	window.KASTRO_I18N_ADD('en', en);
	window.KASTRO_I18N_ADD('el', el_);

	function pct(v) {
		return v === null || v === undefined ? '–' : (Math.floor(v * 100000) / 1000).toFixed(3) + ' %';
	}

	/* seconds as "2 h 05 min", "45 s" */
	function dur(s) {
		if (!s)
			return '0';
		var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
		if (h > 0)
			return h + ' h ' + (m < 10 ? '0' : '') + m + ' min';
		if (m > 0)
			return m + ' min ' + (s % 60) + ' s';
		return s + ' s';
	}

	function thisMonth() {
		var d = new Date();
		return d.getFullYear() + '-' + (d.getMonth() < 9 ? '0' : '') + (d.getMonth() + 1);
	}

	function append(n, kids) {
		kids.forEach(function (k) { if (k) n.appendChild(k); });
	}

	function page(ui, query) {
		var t = ui.t, el = ui.el, gen = ui.S.gen;
		var main = ui.beginPage('sla.title');
		var month = query.get('month') || '';
		if (!/^[0-9]{4}-[0-9]{2}$/.test(month))
			month = thisMonth();
		var input = el('input', { id: 'sla-month', type: 'month', value: month });
		input.addEventListener('change', function () {
			if (/^[0-9]{4}-[0-9]{2}$/.test(input.value))
				location.hash = '#/sla' + ui.qs({ month: input.value });
		});
		var csv = el('a', { id: 'sla-csv', class: 'button no-print',
			href: '/api/v1/sla' + ui.qs({ month: month, format: 'csv' }), download: 'sla-' + month + '.csv' }, t('sla.csv'));
		var print = el('button', { id: 'sla-print', type: 'button', class: 'no-print' }, t('sla.print'));
		print.addEventListener('click', function () { window.print(); });
		var body = el('div', { id: 'sla-body' }, ui.loading());
		append(main, [ui.pageHead(t('sla.title') + ' · ' + month, [
			el('label', { for: 'sla-month', class: 'no-print' }, t('sla.month')), input, csv, print]), body]);
		ui.api('GET', '/sla' + ui.qs({ month: month })).then(function (d) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			render(ui, body, d.services);
		}, function (e) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			body.appendChild(ui.errorBox(e, t('sla.load_failed')));
		});
	}

	function rpoText(t, s) {
		if (!s.rpo || !s.rpo_checks.length)
			return '–';
		var met = null;
		s.rpo_checks.forEach(function (c) {
			if (c.met === false)
				met = false;
			else if (c.met === true && met === null)
				met = true;
		});
		return dur(s.rpo) + ': ' + t(met === true ? 'sla.rpo_met' : met === false ? 'sla.rpo_missed' : 'sla.rpo_unknown');
	}

	function render(ui, root, list) {
		var t = ui.t, el = ui.el;
		var heads = [t('sla.service'), t('sla.owner'), t('sla.criticality'), t('sla.availability'),
			t('sla.downtime'), t('sla.outages'), t('sla.longest'), t('sla.maintenance'), t('sla.rpo')];
		var rows = list.map(function (s) {
			return el('tr', { class: 'sla-row', 'data-name': s.name }, [
				el('td', null, [String(s.name), s.truncated ? el('span', { class: 'muted small' }, ' (' + t('sla.truncated') + ')') : null]),
				el('td', null, String(s.owner || '')),
				el('td', null, t('crit.' + s.criticality)),
				el('td', { class: 'num sla-availability' }, pct(s.availability)),
				el('td', { class: 'num' }, dur(s.down_s)),
				el('td', { class: 'num sla-outages' }, String(s.outages)),
				el('td', { class: 'num' }, dur(s.longest_outage_s)),
				el('td', { class: 'num' }, dur(s.maintenance_s)),
				el('td', { class: 'sla-rpo' }, rpoText(t, s))
			]);
		});
		append(root, [
			ui.table({ id: 'sla-table', class: 'data' }, heads, rows, t('sla.none')),
			el('p', { class: 'muted small' }, t('sla.note'))
		]);
	}

	window.KastroSLA = { page: page };
}());
