// hostintel console: live actor state and "probe now" without leaving the page. The pages
// work without this script; it only follows /console/stream (Server-Sent Events) and updates
// the elements marked data-host-id / data-field in place, with textContent only.
const live = document.querySelector('[data-live]');
const setLive = (state, text) => {
  if (!live) return;
  live.dataset.live = state;
  live.textContent = text;
};

/** Same wording as http/console/format.ts relative(). */
const relative = (iso) => {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  const delta = Math.round((ms - Date.now()) / 1000);
  const span = Math.abs(delta);
  if (span < 1) return 'now';
  const text =
    span < 60
      ? `${span} s`
      : span < 3600
        ? `${Math.floor(span / 60)} min`
        : span < 172800
          ? `${Math.floor(span / 3600)} h`
          : `${Math.floor(span / 86400)} d`;
  return delta < 0 ? `${text} ago` : `in ${text}`;
};

const utc = (iso) => `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')}Z`;

const setTime = (el, iso) => {
  if (iso) {
    el.setAttribute('datetime', new Date(iso).toISOString());
    el.title = utc(iso);
  } else {
    el.removeAttribute('datetime');
    el.removeAttribute('title');
  }
  el.textContent = relative(iso);
};

const setBadge = (el, kind, value) => {
  el.className = `badge ${kind}-${String(value).replace(/[^a-z0-9-]/gi, '')}`;
  el.textContent = value;
};

const fields = (root, name) => root.querySelectorAll(`[data-field="${name}"]`);

const apply = (root, view) => {
  for (const el of fields(root, 'state')) setBadge(el, 'state', view.state);
  for (const el of fields(root, 'unreachable')) el.hidden = !view.unreachable;
  for (const el of fields(root, 'failures')) {
    const { facts = 0, metrics = 0 } = view.failures || {};
    el.textContent = `${facts} facts · ${metrics} metrics`;
    el.className = facts + metrics > 0 ? 'bad' : '';
  }
  for (const el of fields(root, 'next-facts')) setTime(el, view.nextFactsDueAt);
  for (const el of fields(root, 'next-metrics')) setTime(el, view.nextMetricsDueAt);
  const last = view.lastProbe;
  if (last) {
    for (const el of fields(root, 'last-probe')) setTime(el, last.finishedAt);
    for (const el of fields(root, 'last-outcome')) {
      setBadge(el, 'outcome', last.outcome);
      el.hidden = false;
    }
  }
  for (const el of fields(root, 'last-error')) {
    el.textContent = view.lastError || '—';
    el.className = view.lastError ? 'error-text' : '';
  }
};

const follow = () => {
  if (!document.querySelector('[data-host-id]')) return;
  const stream = new EventSource('/console/stream');
  stream.addEventListener('ready', () => setLive('on', 'live'));
  stream.addEventListener('transition', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!message || typeof message.hostId !== 'string' || !message.view) return;
    const selector = `[data-host-id="${CSS.escape(message.hostId)}"]`;
    for (const root of document.querySelectorAll(selector)) apply(root, message.view);
  });
  stream.addEventListener('overflow', () => {
    // The server dropped us for reading too slowly: start over with a fresh stream.
    stream.close();
    setLive('off', 'reconnecting');
    setTimeout(follow, 1000);
  });
  stream.addEventListener('error', () => {
    if (stream.readyState === EventSource.CLOSED) setLive('off', 'live updates off');
    else setLive('off', 'reconnecting');
  });
};

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-probe')) return;
  event.preventDefault();
  const output = form.querySelector('[data-field="probe-result"]');
  const button = form.querySelector('button');
  const show = (text, ok) => {
    if (!output) return;
    output.textContent = text;
    output.className = ok ? 'ok' : 'refused';
  };
  if (button) button.disabled = true;
  fetch(form.action, {
    method: 'POST',
    body: new URLSearchParams(new FormData(form)),
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
  })
    .then(async (res) => {
      const body = await res.json().catch(() => null);
      show(body?.message ?? `Refused (HTTP ${res.status})`, res.ok);
    })
    .catch(() => show('No answer from hostintel.', false))
    .finally(() => {
      if (button) button.disabled = false;
    });
});

// Keeps "12 s ago" true while the page stays open.
setInterval(() => {
  for (const el of document.querySelectorAll('time[datetime]')) {
    el.textContent = relative(el.getAttribute('datetime'));
  }
}, 10000);

follow();
