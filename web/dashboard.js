// Dovetail dashboard: small enhancements only; every page works without this file.
// Times read "2 min ago" in the reader's time zone; the overview refreshes itself while visible.
(() => {
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const ago = (iso) => {
    const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
    if (Math.abs(s) < 60) return rtf.format(s, 'second');
    if (Math.abs(s) < 3600) return rtf.format(Math.round(s / 60), 'minute');
    if (Math.abs(s) < 86400) return rtf.format(Math.round(s / 3600), 'hour');
    return new Date(iso).toLocaleString();
  };
  const paint = () => document.querySelectorAll('time[datetime]').forEach((t) => {
    const iso = t.getAttribute('datetime');
    t.textContent = ago(iso);
    t.title = new Date(iso).toLocaleString();
  });
  paint();
  setInterval(paint, 15000);

  const every = Number(document.body.dataset.refresh || 0);
  if (every > 0) {
    setInterval(() => {
      if (document.visibilityState === 'visible' && !document.activeElement?.matches('input, textarea, select')) location.reload();
    }, every);
  }
  // one press of Retry is enough: a second would only find the failure gone
  document.querySelectorAll('form[action$="/retry"]').forEach((f) => f.addEventListener('submit', () => {
    const b = f.querySelector('button');
    if (b) { b.disabled = true; b.textContent = 'Sending back…'; }
  }));
})();
