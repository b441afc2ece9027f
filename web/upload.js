import { fileToBase64 } from './api.js';
import { h, field, form } from './dom.js';
import { t } from './i18n.js';

/** A file input + send button; `send(base64)` returns the API result ({seconds, source}). */
export function uploadForm(title, send, name = 'file') {
  const file = h('input', { type: 'file', name, accept: '.wav,.g729,audio/wav,audio/x-wav' });
  return form(
    title,
    [field(t('file'), file)],
    async () => {
      const f = file.files && file.files[0];
      if (!f) throw { code: 'E_BAD_ARGUMENTS', message: t('file') };
      const r = await send(await fileToBase64(f));
      file.value = '';
      return t('uploaded', { s: r.seconds ?? '?', src: r.source ?? '' });
    },
    t('upload'),
    { class: 'upload' },
  );
}
