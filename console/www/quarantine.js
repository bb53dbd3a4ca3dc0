/*
 * quarantine.js - the Quarantine page of kastro-console's web UI
 * (#/quarantine?sensor=ID): the files an agent has quarantined (path,
 * sha256, the rule that matched, when), 100 at a time, and for admins
 * Restore (the file goes back where it was) and Purge (deleted for good),
 * each after a confirmation and audited by the console. The files are on
 * the agent: each action queues a command for it (POST
 * /api/v1/sensors/ID/quarantine...) and the page polls the command until
 * the agent answered (GET /api/v1/sensors/ID/commands/N), at most a
 * minute. docs/rest-api.md.
 *
 * app.js calls window.KastroQuarantine.page(ui, query) with its helpers;
 * this file brings its own strings (English and Greek).
 */
(function () {
	'use strict';

	var en = {
		'q.title': 'Quarantine',
		'q.sensor': 'Agent',
		'q.choose': 'Choose an agent',
		'q.no_agents': 'No agent is enrolled.',
		'q.load': 'Show',
		'q.waiting': 'Waiting for the agent to answer…',
		'q.timeout': 'The agent did not answer within a minute (is it online?). Try again later.',
		'q.failed': 'The agent refused',
		'q.load_failed': 'Could not ask the agent',
		'q.none': 'Nothing is quarantined on this agent.',
		'q.path': 'File', 'q.sha256': 'SHA-256', 'q.rule': 'Rule', 'q.time': 'Quarantined',
		'q.size': 'Size', 'q.actions': 'Actions',
		'q.restore': 'Restore', 'q.purge': 'Purge',
		'q.restore_confirm': 'Put {path} back where it was on {host}? The file matched rule {rule}.',
		'q.purge_confirm': 'Delete {path} from {host} for good? This cannot be undone.',
		'q.restored': 'Restored {path}.',
		'q.purged': 'Deleted {path} for good.',
		'q.total': '{shown} of {total} items',
		'q.more': 'Next 100',
		'q.admin_only': 'Only admins restore or purge files.'
	};
	var el_ = {
		'q.title': 'Καραντίνα',
		'q.sensor': 'Πράκτορας',
		'q.choose': 'Επιλέξτε πράκτορα',
		'q.no_agents': 'Δεν υπάρχει εγγεγραμμένος πράκτορας.',
		'q.load': 'Εμφάνιση',
		'q.waiting': 'Αναμονή απάντησης από τον πράκτορα…',
		'q.timeout': 'Ο πράκτορας δεν απάντησε μέσα σε ένα λεπτό (είναι συνδεδεμένος;). Δοκιμάστε αργότερα.',
		'q.failed': 'Ο πράκτορας αρνήθηκε',
		'q.load_failed': 'Δεν ήταν δυνατό να ερωτηθεί ο πράκτορας',
		'q.none': 'Δεν υπάρχει τίποτα σε καραντίνα σε αυτόν τον πράκτορα.',
		'q.path': 'Αρχείο', 'q.sha256': 'SHA-256', 'q.rule': 'Κανόνας', 'q.time': 'Σε καραντίνα από',
		'q.size': 'Μέγεθος', 'q.actions': 'Ενέργειες',
		'q.restore': 'Επαναφορά', 'q.purge': 'Οριστική διαγραφή',
		'q.restore_confirm': 'Επαναφορά του {path} στη θέση του στο {host}; Το αρχείο ταίριαξε με τον κανόνα {rule}.',
		'q.purge_confirm': 'Οριστική διαγραφή του {path} από το {host}; Δεν αναιρείται.',
		'q.restored': 'Έγινε επαναφορά του {path}.',
		'q.purged': 'Διαγράφηκε οριστικά το {path}.',
		'q.total': '{shown} από {total} στοιχεία',
		'q.more': 'Επόμενα 100',
		'q.admin_only': 'Μόνο οι διαχειριστές επαναφέρουν ή διαγράφουν αρχεία.'
	};
	window.KASTRO_I18N_ADD('en', en);
	window.KASTRO_I18N_ADD('el', el_);

	function append(n, kids) {
		kids.forEach(function (k) { if (k) n.appendChild(k); });
	}

	/*
	 * Queue a command (POST path with body) and wait for the agent's
	 * answer: resolves with the command ({status, result}), rejects with an
	 * Error on a refused call or after a minute.
	 */
	function command(ui, sensor, path, body, gen) {
		return ui.api('POST', path, body).then(function (r) {
			var id = r.command, tries = 0;
			return new Promise(function (resolve, reject) {
				function poll() {
					if (gen !== ui.S.gen)
						return;
					ui.api('GET', '/sensors/' + encodeURIComponent(sensor) + '/commands/' + id).then(function (c) {
						var st = c.command.status;
						if (st === 'done' || st === 'failed' || st === 'expired')
							resolve(c.command);
						else if (++tries >= 60)
							reject(new Error(ui.t('q.timeout')));
						else
							setTimeout(poll, 1000);
					}, reject);
				}
				setTimeout(poll, 300);
			});
		});
	}

	function resultError(ui, c) {
		var r = c.result || {};
		return new Error(ui.t('q.failed') + ': ' + String(r.error || c.status));
	}

	function page(ui, query) {
		var t = ui.t, el = ui.el, gen = ui.S.gen;
		var main = ui.beginPage('q.title');
		var sensor = query.get('sensor') || '';
		var from = parseInt(query.get('from') || '0', 10);
		if (!(from >= 0))
			from = 0;
		var body = el('div', { id: 'q-body' }, ui.loading());
		var status = el('p', { id: 'q-status', class: 'muted', role: 'status' });
		append(main, [ui.pageHead(t('q.title')), status, body]);
		ui.api('GET', '/sensors').then(function (d) {
			if (gen !== ui.S.gen)
				return;
			var agents = (d.sensors || []).filter(function (s) {
				return s.kind === 'agent' && !s.revoked;
			});
			ui.clear(body);
			if (!agents.length) {
				body.appendChild(el('p', null, t('q.no_agents')));
				return;
			}
			var opts = [['', t('q.choose')]].concat(agents.map(function (s) {
				return [String(s.id), String(s.hostname || s.id) + (s.online ? '' : ' (offline)')];
			}));
			var sel = ui.selectEl({ id: 'q-sensor' }, opts, sensor);
			sel.addEventListener('change', function () {
				if (sel.value)
					location.hash = '#/quarantine' + ui.qs({ sensor: sel.value });
			});
			var list = el('div', { id: 'q-list' });
			append(body, [el('div', { class: 'filters' }, [el('label', { for: 'q-sensor' }, t('q.sensor')), sel]), list]);
			if (!sensor)
				return;
			var host = sensor;
			agents.forEach(function (s) {
				if (String(s.id) === sensor)
					host = String(s.hostname || s.id);
			});
			load(ui, list, status, sensor, host, from, gen);
		}, function (e) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(body);
			body.appendChild(ui.errorBox(e, t('q.load_failed')));
		});
	}

	function load(ui, list, status, sensor, host, from, gen) {
		var t = ui.t;
		ui.clear(list);
		list.appendChild(ui.el('p', { id: 'q-waiting', class: 'muted' }, t('q.waiting')));
		command(ui, sensor, '/sensors/' + encodeURIComponent(sensor) + '/quarantine', { from: from }, gen).then(function (c) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(list);
			if (c.status !== 'done')
				throw resultError(ui, c);
			render(ui, list, status, sensor, host, from, c.result || {}, gen);
		}).catch(function (e) {
			if (gen !== ui.S.gen)
				return;
			ui.clear(list);
			list.appendChild(ui.errorBox(e, t('q.load_failed')));
		});
	}

	function render(ui, list, status, sensor, host, from, r, gen) {
		var t = ui.t, el = ui.el, admin = ui.S.role === 'admin';
		var items = r.items || [];
		var heads = [t('q.path'), t('q.sha256'), t('q.rule'), t('q.time'), t('q.size')];
		if (admin)
			heads.push(t('q.actions'));
		var rows = items.map(function (it) {
			var path = String(it.path);
			var cells = [
				el('td', { class: 'q-path' }, path),
				el('td', { class: 'q-sha256 mono small' }, String(it.sha256)),
				el('td', { class: 'q-rule' }, String(it.rule)),
				el('td', { class: 'q-time' }, ui.agoEl(it.time)),
				el('td', { class: 'num' }, ui.fmtNum(it.size))
			];
			if (admin) {
				var restore = el('button', { type: 'button', class: 'q-restore' }, t('q.restore'));
				var purge = el('button', { type: 'button', class: 'q-purge danger' }, t('q.purge'));
				restore.addEventListener('click', function () {
					act(ui, list, status, sensor, host, from, it, 'restore', restore, gen);
				});
				purge.addEventListener('click', function () {
					act(ui, list, status, sensor, host, from, it, 'purge', purge, gen);
				});
				cells.push(el('td', { class: 'actions' }, [restore, ' ', purge]));
			}
			return el('tr', { class: 'q-row', 'data-id': String(it.id) }, cells);
		});
		append(list, [
			ui.table({ id: 'q-table', class: 'data' }, heads, rows, t('q.none')),
			el('p', { id: 'q-total', class: 'muted small' },
				t('q.total', { shown: String(from + items.length), total: String(r.total || 0) })),
			r.next !== null && r.next !== undefined ? el('a', { id: 'q-more', class: 'button',
				href: '#/quarantine' + ui.qs({ sensor: sensor, from: r.next }) }, t('q.more')) : null,
			admin ? null : el('p', { class: 'muted small' }, t('q.admin_only'))
		]);
	}

	function act(ui, list, status, sensor, host, from, it, what, btn, gen) {
		var t = ui.t, path = String(it.path);
		var text = t(what === 'restore' ? 'q.restore_confirm' : 'q.purge_confirm',
			{ path: path, host: host, rule: String(it.rule) });
		if (!window.confirm(text))
			return;
		btn.disabled = true;
		status.textContent = t('q.waiting');
		command(ui, sensor, '/sensors/' + encodeURIComponent(sensor) + '/quarantine/' +
			encodeURIComponent(it.id) + '/' + what, {}, gen).then(function (c) {
			if (gen !== ui.S.gen)
				return;
			if (c.status !== 'done')
				throw resultError(ui, c);
			status.textContent = t(what === 'restore' ? 'q.restored' : 'q.purged', { path: path });
			load(ui, list, status, sensor, host, from, gen);
		}).catch(function (e) {
			if (gen !== ui.S.gen)
				return;
			btn.disabled = false;
			ui.clear(status);
			status.appendChild(ui.errorBox(e, t('q.failed')));
		});
	}

	window.KastroQuarantine = { page: page };
}());
