// DOM building without innerHTML: every piece of data goes through textContent or a property.
import { t, errorText } from './i18n.js';

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'multiple', 'readOnly', 'open']);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false && !PROPS.has(k)) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let seq = 0;
const uid = (p) => `${p}-${++seq}`;

/** A labelled control: <label for> + the control, in a .field block. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const hintEl = hint ? h('small', { class: 'hint', id: control.id + '-hint', text: hint }) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control, hintEl);
}

export function input(name, value, attrs = {}) {
  return h('input', { name, type: 'text', value: value ?? '', ...attrs });
}

export function checkbox(label, name, checked, attrs = {}) {
  const box = h('input', { type: 'checkbox', name, checked: !!checked, id: uid('c'), ...attrs });
  return h('div', { class: 'field check' }, box, h('label', { for: box.id, text: label }));
}

/** options: [[value, label], ...] */
export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs }, options.map(([v, l]) => h('option', { value: String(v), text: l, selected: String(v) === String(value ?? '') })));
}

export function table(headers, rows, attrs = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', attrs, h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col', text: x })))), h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: headers.length, class: 'empty', text: t('none') })))),
  );
}

export const td = (content, cls) => h('td', { class: cls }, content ?? '');

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', { text: title }), children);
}

export function msgBox() {
  return h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
}

export function showError(box, err) {
  box.className = 'msg error';
  box.setAttribute('role', 'alert');
  box.textContent = errorText(err);
}

export function showOk(box, text) {
  box.className = 'msg ok';
  box.setAttribute('role', 'status');
  box.textContent = text ?? t('saved');
}

/**
 * A form whose submit runs `action(form)`; errors are shown next to it
 * (the API's message with a French label for its code), success too.
 */
export function form(title, children, action, submitLabel, extra = {}) {
  const box = msgBox();
  const button = h('button', { type: 'submit', class: 'primary', text: submitLabel ?? t('save') });
  const f = h('form', { class: 'form ' + (extra.class ?? ''), novalidate: true, 'aria-label': title || undefined }, title ? h('h3', { text: title }) : null, children, h('div', { class: 'actions' }, button, extra.buttons ?? null), box);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    box.className = 'msg';
    box.textContent = '';
    button.disabled = true;
    try {
      const r = await action(f);
      if (r !== false) showOk(box, typeof r === 'string' ? r : undefined);
    } catch (err) {
      showError(box, err);
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

/**
 * A destructive action's link button (remove, revoke): asks `question` with
 * confirm() first, then runs `action` (which shows its own errors if it must).
 */
export function dangerButton(text, question, action, ariaLabel) {
  return h('button', {
    type: 'button',
    class: 'link-button danger',
    text,
    'aria-label': ariaLabel,
    onclick: async () => {
      if (!confirm(question())) return;
      await action();
    },
  });
}

/** Named control values of a form: checkboxes as booleans, the rest as trimmed strings. */
export function values(f) {
  const out = {};
  for (const el of f.elements) {
    if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button') continue;
    out[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return out;
}

/** '' → null (clear an optional field). */
export const orNull = (s) => (s === '' || s === undefined ? null : s);
/** '' → undefined (leave unchanged / absent). */
export const orUndef = (s) => (s === '' || s === null ? undefined : s);

export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(document.documentElement.lang === 'en' ? 'en-GB' : 'fr-FR', { dateStyle: 'short', timeStyle: 'short' });
}

export function fmtDuration(sec) {
  const s = Math.max(0, Math.round(Number(sec) || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Key/value view of a live-state object whose exact shape may vary. */
export function kv(obj) {
  if (obj === null || obj === undefined) return h('p', { class: 'muted', text: t('unknown') });
  if (typeof obj !== 'object') return h('p', { text: String(obj) });
  const dl = h('dl', { class: 'kv' });
  const walk = (o, prefix) => {
    for (const [k, v] of Object.entries(o)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v, prefix + k + '.');
      else dl.append(h('dt', { text: prefix + k }), h('dd', { text: Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : String(v) }));
    }
  };
  walk(obj, '');
  return dl;
}

/** Tabs: [[id, label, render(panel)]]; keyboard-accessible buttons with aria-selected. */
export function tabs(list, initial) {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const buttons = [];
  const show = async (id) => {
    for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === id));
    const entry = list.find((x) => x[0] === id) ?? list[0];
    clear(panel);
    panel.setAttribute('aria-label', entry[1]);
    await entry[2](panel);
  };
  for (const [id, label] of list) {
    const b = h('button', { type: 'button', role: 'tab', class: 'tab', dataset: { tab: id }, text: label, onclick: () => show(id) });
    buttons.push(b);
    bar.append(b);
  }
  const wrap = h('div', { class: 'tabbed' }, bar, panel);
  wrap.ready = show(initial ?? list[0][0]);
  return wrap;
}

/** The count, the rows and the previous/next buttons of a paged result (journal, my calls): `go(page)` loads another page. */
export function pagedResult(r, rowsTable, go) {
  return [
    h('p', { class: 'count', text: t('results', { n: r.total }) }),
    rowsTable,
    h(
      'div',
      { class: 'pager no-print' },
      h('button', { type: 'button', text: t('previous'), disabled: r.page <= 1, onclick: () => go(r.page - 1) }),
      h('span', { text: t('pageOf', { p: r.page, n: r.pages }) }),
      h('button', { type: 'button', text: t('next'), disabled: r.page >= r.pages, onclick: () => go(r.page + 1) }),
    ),
  ];
}

/**
 * A filter form whose results come in pages (journal, my calls): submitting
 * starts at page 1; `fetch(filters, page)` answers {total, page, pages, rows}.
 */
export async function pagedSearch(form, results, box, fetch, rowsTable) {
  let page = 1;
  const load = async () => {
    box.textContent = '';
    box.className = 'msg';
    try {
      const r = await fetch(values(form), page);
      clear(results).append(
        ...pagedResult(r, rowsTable(r.rows), (p) => {
          page = p;
          void load();
        }),
      );
    } catch (err) {
      showError(box, err);
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    page = 1;
    void load();
  });
  await load();
}
