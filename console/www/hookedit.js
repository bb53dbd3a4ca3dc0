/*
 * hookedit.js - an admin's editor of alert hooks on the Hooks page
 * (#/hooks): a hook is written as console.conf writes it
 * (`hook NAME { ... }`) and checked by the console with the same grammar;
 * the console's answer (line, column, what was expected) is shown as is.
 * Hooks of console.conf are read-only and say where they are defined; a
 * webhook's text is never read back (its URL is often the secret), so
 * changing one means writing it whole. Data: POST /api/v1/hooks,
 * /hooks/NAME, /hooks/NAME/delete (docs/rest-api.md).
 *
 * app.js calls window.KastroHookEdit.panel(ui, hooks, reload) for admins;
 * this file brings its own strings (English and Greek).
 */
(function () {
	'use strict';

	var en = {
		'hookedit.title': 'Hooks made in the console',
		'hookedit.intro': 'Write a hook as in console.conf. Secrets stay files on the console host (password-file, secret-file, key); a webhook\'s address is not shown again once saved.',
		'hookedit.new': 'New hook',
		'hookedit.save': 'Save',
		'hookedit.edit': 'Change',
		'hookedit.delete': 'Delete',
		'hookedit.confirm_delete': 'Delete hook {name}? Its waiting deliveries are given up.',
		'hookedit.saved': 'Hook {name} saved',
		'hookedit.deleted': 'Hook {name} deleted',
		'hookedit.from_file': 'console.conf ({at})',
		'hookedit.from_console': 'the console, by {by}',
		'hookedit.webhook_hidden': 'A webhook\'s text is not shown: write it whole to change it.',
		'hookedit.source': 'Defined in',
		'hookedit.example': 'hook soc2 { syslog "tcp://127.0.0.1:5514" format cef min-severity high }'
	};
	var el_ = {
		'hookedit.title': 'Αποστολές που ορίστηκαν στην κονσόλα',
		'hookedit.intro': 'Γράψτε την αποστολή όπως στο console.conf. Τα μυστικά μένουν αρχεία στον υπολογιστή της κονσόλας (password-file, secret-file, key)· η διεύθυνση ενός webhook δεν ξαναδείχνεται μετά την αποθήκευση.',
		'hookedit.new': 'Νέα αποστολή',
		'hookedit.save': 'Αποθήκευση',
		'hookedit.edit': 'Αλλαγή',
		'hookedit.delete': 'Διαγραφή',
		'hookedit.confirm_delete': 'Διαγραφή της αποστολής {name}; Όσες περιμένουν εγκαταλείπονται.',
		'hookedit.saved': 'Η αποστολή {name} αποθηκεύτηκε',
		'hookedit.deleted': 'Η αποστολή {name} διαγράφηκε',
		'hookedit.from_file': 'console.conf ({at})',
		'hookedit.from_console': 'την κονσόλα, από {by}',
		'hookedit.webhook_hidden': 'Το κείμενο ενός webhook δεν δείχνεται: γράψτε το ολόκληρο για να το αλλάξετε.',
		'hookedit.source': 'Ορίζεται σε',
		'hookedit.example': 'hook soc2 { syslog "tcp://127.0.0.1:5514" format cef min-severity high }'
	};
	window.KASTRO_I18N_ADD('en', en);
	window.KASTRO_I18N_ADD('el', el_);

	/* The "Defined in" text of hook h. */
	function source(ui, h) {
		if (h.source === 'console')
			return ui.t('hookedit.from_console', { by: String(h.updated_by || '—') });
		return ui.t('hookedit.from_file', { at: String(h.at || '') });
	}

	function panel(ui, hooks, reload) {
		var t = ui.t, el = ui.el;
		var editing = null;     /* the name being changed, or null: a new hook */
		var text = el('textarea', { id: 'hook-config', rows: 5, cols: 90, maxlength: 4096, spellcheck: 'false',
			class: 'mono', placeholder: t('hookedit.example') });
		var err = el('pre', { id: 'hook-error', class: 'error', role: 'alert', hidden: true });
		var note = el('p', { id: 'hook-note', class: 'muted', hidden: true }, t('hookedit.webhook_hidden'));
		var title = el('h3', { id: 'hook-form-title' }, t('hookedit.new'));
		var save = el('button', { type: 'submit', id: 'hook-save' }, t('hookedit.save'));
		var form = el('form', { id: 'hook-form' }, [title, text, note, err, el('p', null, save)]);

		function showError(e) {
			err.textContent = ui.errText(e);
			err.hidden = false;
		}
		form.addEventListener('submit', function (ev) {
			ev.preventDefault();
			err.hidden = true;
			var path = editing ? '/hooks/' + encodeURIComponent(editing) : '/hooks';
			ui.busy(save, function () {
				return ui.api('POST', path, { config: text.value }).then(function (r) {
					ui.flash(t('hookedit.saved', { name: String(r.name) }));
					reload();
				}, showError);
			});
		});

		var rows = hooks.map(function (h) {
			var acts = [];
			if (h.source === 'console') {
				var edit = el('button', { type: 'button', class: 'small-button hook-edit' }, t('hookedit.edit'));
				edit.addEventListener('click', function () {
					editing = String(h.name);
					title.textContent = t('hookedit.edit') + ': ' + editing;
					text.value = typeof h.config === 'string' ? h.config : '';
					note.hidden = typeof h.config === 'string';
					err.hidden = true;
					text.focus();
				});
				var del = el('button', { type: 'button', class: 'small-button hook-delete' }, t('hookedit.delete'));
				del.addEventListener('click', function () {
					if (!window.confirm(t('hookedit.confirm_delete', { name: String(h.name) })))
						return;
					ui.busy(del, function () {
						return ui.api('POST', '/hooks/' + encodeURIComponent(h.name) + '/delete').then(function () {
							ui.flash(t('hookedit.deleted', { name: String(h.name) }));
							reload();
						}, showError);
					});
				});
				acts = [edit, ' ', del];
			}
			return el('tr', { class: 'hookdef-row', 'data-name': h.name, 'data-source': h.source }, [
				el('td', null, String(h.name)),
				el('td', { class: 'hookdef-source' }, source(ui, h)),
				el('td', { class: 'actions-col' }, acts)
			]);
		});
		return el('section', { id: 'hook-editor' }, [
			el('h2', null, t('hookedit.title')),
			el('p', { class: 'muted' }, t('hookedit.intro')),
			ui.table({ id: 'hookdefs-table', class: 'data' }, [t('col.name'), t('hookedit.source'), ''], rows, ''),
			form
		]);
	}

	window.KastroHookEdit = { panel: panel };
}());
