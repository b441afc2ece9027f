import { get, post, commandPath } from '../api.js';
import { h, clear, section, table, td, fmtDate, fmtDuration, msgBox, showError, showOk, dangerButton } from '../dom.js';
import { t } from '../i18n.js';
import { uploadForm } from '../upload.js';

export async function render(el) {
  const vm = await get('my voicemail');
  const again = async () => {
    clear(el);
    await render(el);
  };
  const box = msgBox();
  const act = async (fn) => {
    try {
      await fn();
      await again();
    } catch (err) {
      showError(box, err);
    }
  };
  const rows = vm.messages.map((m) => {
    const url = `${commandPath('my voicemail')}/${encodeURIComponent(m.id)}/audio`;
    return h(
      'tr',
      { class: m.state === 'fresh' ? 'fresh' : undefined },
      td(fmtDate(m.receivedAt)),
      td(m.caller),
      td(fmtDuration(m.durationMs / 1000)),
      td(m.state === 'fresh' ? t('fresh') : t('savedMsg')),
      td(h('audio', { controls: true, preload: 'none', src: url, 'aria-label': t('listen', { c: m.caller }) })),
      td([
        h('a', { href: url, download: `message-${m.id}.wav`, text: t('download') }),
        ' ',
        m.state === 'fresh' ? h('button', { type: 'button', class: 'link-button', text: t('markSaved'), onclick: () => act(() => post('my voicemail saved', { id: m.id })) }) : null,
        ' ',
        dangerButton(t('remove'), () => t('confirmRemove', { x: `${m.caller} ${fmtDate(m.receivedAt)}` }), () => act(() => post('my voicemail delete', { id: m.id }))),
      ]),
    );
  });
  const greetBox = msgBox();
  const state = h('p', { class: 'greeting-state', text: vm.greeting ? t('greetingCustom') : t('greetingStandard') });
  const upload = uploadForm(t('greeting'), async (data) => {
    const r = await post('my greeting set', { data });
    state.textContent = t('greetingCustom');
    return r;
  });
  const removeBtn = h('button', {
    type: 'button',
    text: t('greetingRemove'),
    onclick: async () => {
      try {
        await post('my greeting remove', {});
        state.textContent = t('greetingStandard');
        showOk(greetBox);
      } catch (err) {
        showError(greetBox, err);
      }
    },
  });
  el.append(
    h('h1', { text: t('myVoicemail') }),
    section(t('messages'), table([t('date'), t('caller'), t('duration'), t('state'), t('listenCol'), ''], rows, { class: 'voicemail' }), box),
    section(t('greeting'), state, upload, removeBtn, greetBox),
  );
}
