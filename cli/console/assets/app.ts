/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The console's page: hash routes (#/messages, #/message/<id>, #/failures, #/health, #/send),
// each rendered from the server's JSON with DOM calls (never innerHTML, so message text cannot
// inject markup), refreshed by polling while its view is shown.

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Message = { [key: string]: Json };

interface Info {
  mode: 'local' | 'deployed';
  source: string;
  canSend: boolean;
}

interface TimelineEntry {
  webhookId: string;
  eventType: string;
  status?: string;
  occurredAt?: string;
  role: 'current' | 'superseded' | 'stale' | 'history-only';
  arrival: number;
  /** Deliveries found in the archive; absent when it was not read. */
  deliveries?: number;
  duplicate?: boolean;
  receivedAt?: string[];
}

interface Unrecorded {
  webhookId: string;
  eventType: string;
  status?: string;
  occurredAt?: string;
  deliveries: number;
  duplicate: boolean;
  receivedAt: string[];
}

interface ArchiveStatus {
  state: 'read' | 'partial' | 'off' | 'unavailable';
  detail: string;
}

interface Detail {
  message: Message;
  timeline: TimelineEntry[];
  unrecorded: Unrecorded[];
  archive: ArchiveStatus;
}

interface Chart {
  buckets: string[];
  bucketMs: number;
  byErrorCode: Record<string, number[]>;
  byCarrier: Record<string, number[]>;
  total: number;
}

interface Depth {
  waiting: number;
  inFlight: number;
}
interface Queue {
  name: string;
  queue?: Depth;
  dlq?: Depth;
  oldestAgeSeconds?: number;
  error?: string;
}
interface Health {
  mode: string;
  queues: Queue[];
  quarantine?: Queue;
  lastWebhook: { status: string; reason: string };
  rejections?: {
    source: 'metrics' | 'queue';
    since?: string;
    byReason: { reason: string; count: number; latest?: string }[];
  };
  rejectionsError?: string;
  alarms?: { name: string; state: string; reason?: string }[];
  alarmsError?: string;
}

const POLL_MS = 3000;
const FAILURE_STATUSES = ['failed', 'delivery_failed', 'sending_failed', 'expired'];
/** Okabe-Ito: told apart with most colour-vision deficiencies. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999933'];

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

const main = document.getElementById('main') as HTMLElement;
const errorBox = document.getElementById('error') as HTMLElement;
let timer: number | undefined;
let info: Info | undefined;

function showError(message: string | undefined): void {
  errorBox.hidden = message === undefined;
  errorBox.textContent = message ?? '';
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  const body = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

const text = (v: Json | undefined): string =>
  v === undefined || v === null || v === '' ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function statusCell(status: Json | undefined): HTMLElement {
  const s = text(status);
  const cls = FAILURE_STATUSES.includes(s)
    ? 'status-failed'
    : s === 'delivered' || s === 'received'
      ? 'status-delivered'
      : '';
  return h('td', { class: cls }, s);
}

function errorOf(m: Message): string {
  if (m.errorCode === undefined && m.providerErrorTitle === undefined) return '';
  return `${text(m.errorCode)} ${m.providerErrorTitle !== undefined ? text(m.providerErrorTitle) : ''}`.trim();
}

/** Shows `view` in <main>, and repeats `refresh` while the route stays the same. */
function mount(view: Node, refresh?: () => Promise<void>): void {
  main.replaceChildren(view);
  if (refresh) {
    const route = location.hash;
    const tick = async () => {
      if (location.hash !== route) return;
      try {
        await refresh();
        showError(undefined);
      } catch (err) {
        showError((err as Error).message);
      }
      if (location.hash === route) timer = window.setTimeout(tick, POLL_MS);
    };
    void tick();
  }
}

// ---- messages -------------------------------------------------------------------------------

function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', {}, label, control);
}

function messagesView(params: URLSearchParams): void {
  const status = h(
    'select',
    { name: 'status' },
    ['', 'failures', 'queued', 'sent', 'delivered', 'received', ...FAILURE_STATUSES, 'delivery_unconfirmed'].map((s) =>
      h(
        'option',
        { value: s, selected: params.get('status') === s },
        s === '' ? 'any' : s === 'failures' ? 'any failure' : s,
      ),
    ),
  );
  const direction = h(
    'select',
    { name: 'direction' },
    ['', 'outbound', 'inbound'].map((d) =>
      h('option', { value: d, selected: params.get('direction') === d }, d || 'any'),
    ),
  );
  const contact = h('input', {
    name: 'contact',
    type: 'tel',
    placeholder: '+15555550123',
    value: params.get('contact') ?? '',
  });
  const since = h('select', { name: 'since' }, [
    ...['1h', '24h', '7d', '30d'].map((s) =>
      h('option', { value: s, selected: (params.get('since') ?? '24h') === s }, `last ${s}`),
    ),
  ]);
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter messages' },
    field('Status', status),
    field('Direction', direction),
    field('Contact number', contact),
    field('Time range', since),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim() !== '') q.set(k, v.trim());
    location.hash = `#/messages?${q.toString()}`;
  });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'messages' },
    h('caption', { class: 'muted' }, 'Newest first; refreshed every few seconds'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Occurred at', 'Message id', 'Direction', 'Status', 'From', 'To', 'Error', 'Text'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    body,
  );
  mount(
    h('section', { 'aria-labelledby': 'h-messages' }, h('h2', { id: 'h-messages' }, 'Messages'), form, summary, table),
    async () => {
      const q = new URLSearchParams(params);
      if (!q.has('since')) q.set('since', '24h');
      const list = await api<{ messages: Message[]; truncated: boolean; source: string }>(
        `/api/messages?${q.toString()}`,
      );
      body.replaceChildren(
        ...list.messages.map((m) =>
          h(
            'tr',
            { 'data-message-id': text(m.messageId) },
            h('td', { class: 'mono' }, text(m.occurredAt)),
            h(
              'td',
              { class: 'mono' },
              h('a', { href: `#/message/${encodeURIComponent(text(m.messageId))}` }, text(m.messageId)),
            ),
            h('td', {}, text(m.direction)),
            statusCell(m.status),
            h('td', { class: 'mono' }, text(m.fromNumber)),
            h('td', { class: 'mono' }, text(m.toNumber)),
            h('td', {}, errorOf(m)),
            h('td', {}, text(m.text).slice(0, 60)),
          ),
        ),
      );
      summary.textContent =
        `${list.messages.length} message(s)` +
        (list.truncated
          ? ' — the table is larger than one read: older messages may be missing, narrow the range or filter by contact'
          : '');
    },
  );
}

// ---- one message ----------------------------------------------------------------------------

const ROLE_TEXT: Record<TimelineEntry['role'], string> = {
  current: 'defines the current state',
  superseded: 'applied, later superseded',
  stale: 'stale: arrived after a newer event, recorded only',
  'history-only': 'unknown event type, recorded only',
};

/** The deliveries cell: the count, with a text mark on a duplicate (not colour alone). */
function deliveriesCell(
  e: { deliveries?: number; duplicate?: boolean; receivedAt?: string[] },
  read: boolean,
): HTMLElement {
  if (e.deliveries === undefined) return h('td', { class: 'muted' }, '–');
  if (e.deliveries === 0) return h('td', { class: 'muted' }, read ? 'not in the archive' : 'not in the part read');
  const times = (e.receivedAt ?? []).join(', ');
  return h(
    'td',
    { title: `received ${times}` },
    e.duplicate ? [h('span', { class: 'dup' }, 'duplicate'), ` delivered ${e.deliveries} times`] : 'delivered once',
  );
}

function messageView(id: string): void {
  const holder = h('div', {}, h('p', {}, 'Loading…'));
  mount(
    h(
      'section',
      { 'aria-labelledby': 'h-message' },
      h('p', {}, h('a', { href: '#/messages' }, '← All messages')),
      h('h2', { id: 'h-message' }, 'Message ', h('span', { class: 'mono' }, id)),
      holder,
    ),
    async () => {
      const {
        message: m,
        timeline,
        unrecorded,
        archive,
      } = await api<Detail>(`/api/messages/${encodeURIComponent(id)}`);
      const read = archive.state === 'read';
      const facts: [string, Json | undefined][] = [
        ['Status', m.status],
        ['Direction', m.direction],
        ['From', m.fromNumber],
        ['To', m.toNumber],
        ['Carrier', m.carrierName],
        ['Occurred at', m.occurredAt],
        ['Text', m.text],
      ];
      const failure = errorOf(m);
      holder.replaceChildren(
        h(
          'dl',
          { class: 'cards' },
          facts.map(([k, v]) => h('div', { class: 'card' }, h('dt', { class: 'muted' }, k), h('dd', {}, text(v)))),
        ),
        failure
          ? h(
              'p',
              { class: 'bad', id: 'failure' },
              `Failed: error ${failure}`,
              m.providerErrorCode !== undefined && m.providerErrorCode !== m.errorCode
                ? ` (carrier code ${text(m.providerErrorCode)})`
                : '',
              '. The code and title are the vendor’s, passed on as Volt reported them.',
            )
          : '',
        h('h3', {}, 'Timeline'),
        h(
          'p',
          { class: 'muted' },
          'Every distinct event seen, by the time it occurred. “Arrived” is the order they reached the table; the table stores each event once, so deliveries are counted in the delivery archive: Volt delivers some events more than once.',
        ),
        h('p', { id: 'archive-status', class: `archive-${archive.state}`, 'aria-live': 'polite' }, archive.detail),
        h(
          'table',
          { id: 'timeline' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Occurred at', 'Event', 'Status', 'Arrived', 'Role', 'Deliveries', 'Webhook id'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            timeline.map((e) =>
              h(
                'tr',
                { 'data-role': e.role, 'data-duplicate': e.duplicate === true ? 'true' : undefined },
                h('td', { class: 'mono' }, e.occurredAt ?? '–'),
                h('td', {}, e.eventType),
                statusCell(e.status),
                h('td', {}, `#${e.arrival}`),
                h('td', {}, h('span', { class: `role role-${e.role}` }, ROLE_TEXT[e.role])),
                deliveriesCell(e, read),
                h('td', { class: 'mono' }, e.webhookId),
              ),
            ),
          ),
        ),
        unrecorded.length > 0
          ? h(
              'table',
              { id: 'unrecorded' },
              h(
                'caption',
                {},
                'Archived deliveries not in the history (not applied yet, in a dead-letter queue, or left out of a full history)',
              ),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['First received', 'Occurred at', 'Event', 'Status', 'Deliveries', 'Webhook id'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                unrecorded.map((u) =>
                  h(
                    'tr',
                    { 'data-duplicate': u.duplicate ? 'true' : undefined },
                    h('td', { class: 'mono' }, u.receivedAt[0] ?? '–'),
                    h('td', { class: 'mono' }, u.occurredAt ?? '–'),
                    h('td', {}, u.eventType),
                    statusCell(u.status),
                    deliveriesCell(u, true),
                    h('td', { class: 'mono' }, u.webhookId),
                  ),
                ),
              ),
            )
          : '',
      );
    },
  );
}

// ---- failures -------------------------------------------------------------------------------

function barChart(title: string, chart: Chart, series: Record<string, number[]>): HTMLElement {
  const names = Object.keys(series).sort((a, b) => sum(series[b]) - sum(series[a]));
  const width = 860;
  const height = 220;
  const left = 36;
  const bottom = 24;
  const n = chart.buckets.length;
  const totals = chart.buckets.map((_, i) => names.reduce((t, k) => t + (series[k]?.[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barW = (width - left) / n;
  const y = (v: number) => (height - bottom) * (1 - v / max);
  const g = svg('g', {});
  for (const [i] of chart.buckets.entries()) {
    let acc = 0;
    names.forEach((k, s) => {
      const v = series[k]?.[i] ?? 0;
      if (v === 0) return;
      const rect = svg(
        'rect',
        {
          x: left + i * barW + 1,
          y: y(acc + v),
          width: Math.max(1, barW - 2),
          height: y(acc) - y(acc + v),
          fill: COLOURS[s % COLOURS.length] ?? '#000',
        },
        svg('title', {}, `${chart.buckets[i]}: ${k}: ${v}`),
      );
      g.append(rect);
      acc += v;
    });
  }
  const axis = svg(
    'g',
    { 'font-size': 11, fill: '#4a5562' },
    svg('text', { x: 0, y: 12 }, String(max)),
    svg('text', { x: 0, y: height - bottom }, '0'),
  );
  const daily = chart.bucketMs >= 86_400_000;
  const step = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i < n; i += step) {
    const at = chart.buckets[i] ?? '';
    axis.append(svg('text', { x: left + i * barW, y: height - 6 }, daily ? at.slice(5, 10) : at.slice(11, 16)));
  }
  const picture = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${chart.total} failure(s)` },
    svg('line', { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: '#6e7781' }),
    g,
    axis,
  );
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, h('h3', {}, title)),
    picture,
    h(
      'ul',
      { class: 'legend', 'aria-label': `${title} legend` },
      names.map((k, s) => {
        const swatch = svg(
          'svg',
          { class: 'swatch', viewBox: '0 0 10 10', 'aria-hidden': 'true' },
          svg('rect', { width: 10, height: 10, fill: COLOURS[s % COLOURS.length] ?? '#000' }),
        );
        return h('li', {}, swatch, `${k}: ${sum(series[k])}`);
      }),
    ),
  );
}

function sum(values: number[] | undefined): number {
  return (values ?? []).reduce((a, b) => a + b, 0);
}

function failuresView(params: URLSearchParams): void {
  const since = params.get('since') ?? '7d';
  const select = h(
    'select',
    { name: 'since' },
    ['24h', '7d', '30d'].map((s) => h('option', { value: s, selected: since === s }, `last ${s}`)),
  );
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Failure range' },
    field('Time range', select),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/failures?since=${select.value}`;
  });
  const holder = h('div', { id: 'failures' }, h('p', {}, 'Loading…'));
  mount(
    h(
      'section',
      { 'aria-labelledby': 'h-failures' },
      h('h2', { id: 'h-failures' }, 'Failures over time'),
      form,
      holder,
    ),
    async () => {
      const chart = await api<Chart>(`/api/failures?since=${encodeURIComponent(since)}`);
      holder.replaceChildren(
        h(
          'p',
          { id: 'failure-total', 'aria-live': 'polite' },
          `${chart.total} failed message(s) in the last ${since}, per ${chart.bucketMs >= 86_400_000 ? 'day' : 'hour'} (UTC).`,
        ),
        barChart('By error code', chart, chart.byErrorCode),
        barChart('By carrier', chart, chart.byCarrier),
      );
    },
  );
}

// ---- health ---------------------------------------------------------------------------------

function depthText(d: Depth | undefined): string {
  return d === undefined ? '–' : `${d.waiting} waiting, ${d.inFlight} in flight`;
}

function ageText(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

function rejectionsOf(health: Health): HTMLElement {
  if (health.rejectionsError) return h('p', { class: 'bad' }, health.rejectionsError);
  const r = health.rejections;
  if (!r) return h('p', { class: 'muted' }, 'This stack has no quarantine.');
  const where =
    r.source === 'metrics'
      ? 'The ingest’s Rejected metric over the last 24 h.'
      : 'The requests the local quarantine holds (up to 50 looked at).';
  if (r.byReason.length === 0) return h('p', { id: 'rejections' }, `No rejection. ${where}`);
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, where),
    h(
      'table',
      { id: 'rejections' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Reason', 'Requests', 'Latest'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        r.byReason.map((x) =>
          h(
            'tr',
            {},
            h('td', { class: 'mono' }, x.reason),
            h('td', {}, String(x.count)),
            h('td', { class: 'mono' }, x.latest ?? '–'),
          ),
        ),
      ),
    ),
  );
}

function healthView(): void {
  const holder = h('div', { id: 'health' }, h('p', {}, 'Loading…'));
  mount(
    h('section', { 'aria-labelledby': 'h-health' }, h('h2', { id: 'h-health' }, 'Pipeline health'), holder),
    async () => {
      const health = await api<Health>('/api/health');
      const dead = (q: Queue) => (q.dlq ? q.dlq.waiting + q.dlq.inFlight : 0);
      holder.replaceChildren(
        h(
          'p',
          {},
          h('strong', {}, 'Last accepted webhook: '),
          h('span', { class: health.lastWebhook.status === 'FAIL' ? 'bad' : '' }, health.lastWebhook.reason),
        ),
        h(
          'table',
          { id: 'queues' },
          h('caption', { class: 'muted' }, 'Queues and their dead-letter queues'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Queue', 'Depth', 'Oldest message', 'DLQ'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            [...health.queues, ...(health.quarantine ? [health.quarantine] : [])].map((q) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, q.name),
                h('td', { class: q.error ? 'bad' : '' }, q.error ?? depthText(q.queue)),
                h('td', {}, health.mode === 'local' ? 'n/a locally' : ageText(q.oldestAgeSeconds)),
                h(
                  'td',
                  { class: dead(q) > 0 ? 'bad' : '' },
                  q.name === 'quarantine'
                    ? 'rejected requests kept (none is retried)'
                    : q.dlq
                      ? dead(q) > 0
                        ? `${dead(q)} dead letter(s)`
                        : 'empty'
                      : '–',
                ),
              ),
            ),
          ),
        ),
        h('h3', {}, 'Quarantine: recent rejections by reason'),
        rejectionsOf(health),
        h('h3', {}, 'Alarms'),
        health.mode === 'local'
          ? h('p', { class: 'muted' }, 'CloudWatch has no local stand-in: alarms show for a deployed stack.')
          : health.alarmsError
            ? h('p', { class: 'bad' }, health.alarmsError)
            : h(
                'ul',
                { id: 'alarms' },
                (health.alarms ?? []).map((a) =>
                  h(
                    'li',
                    {},
                    h('span', { class: a.state === 'ALARM' ? 'bad' : a.state === 'OK' ? 'good' : '' }, a.state),
                    ` ${a.name}`,
                    a.state === 'ALARM' && a.reason ? ` — ${a.reason}` : '',
                  ),
                ),
              ),
      );
    },
  );
}

// ---- send (local only) ----------------------------------------------------------------------

function sendView(): void {
  const to = h('input', { name: 'to', type: 'tel', required: true, value: '+15555550100', autocomplete: 'off' });
  const from = h('input', { name: 'from', type: 'tel', required: true, value: '+15555550123', autocomplete: 'off' });
  const body = h('textarea', { name: 'body', required: true, rows: '3' }, 'Hello from the console');
  const result = h('p', { id: 'send-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'send', 'aria-label': 'Send a test SMS' },
    field('To (E.164; +15555550666 fails as spam, +15555550667 as opt-out, +15555550668 expires)', to),
    field('From (E.164)', from),
    field('Text', body),
    h('button', { type: 'submit' }, 'Send through the simulator'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    result.textContent = 'Sending…';
    api<{ id: string; status?: string }>('/api/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: to.value, from: from.value, body: body.value }),
    }).then(
      (sent) => {
        result.replaceChildren(
          'Created ',
          h('a', { href: `#/message/${encodeURIComponent(sent.id)}` }, sent.id),
          ': watch its events arrive on its timeline.',
        );
      },
      (err: Error) => {
        result.textContent = `Not sent: ${err.message}`;
      },
    );
  });
  mount(
    h(
      'section',
      { 'aria-labelledby': 'h-send' },
      h('h2', { id: 'h-send' }, 'Send a test SMS'),
      h('p', { class: 'muted' }, 'Through the local Volt simulator, which then sends its webhooks to the local stack.'),
      form,
      result,
    ),
  );
}

// ---- routing --------------------------------------------------------------------------------

function route(): void {
  window.clearTimeout(timer);
  showError(undefined);
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  const view = parts[0] ?? 'messages';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.dataset.view === (view === 'message' ? 'messages' : view)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (view === 'message' && parts[1]) messageView(decodeURIComponent(parts[1]));
  else if (view === 'failures') failuresView(params);
  else if (view === 'health') healthView();
  else if (view === 'send' && info?.canSend) sendView();
  else messagesView(params);
  document.title = `${view} · Volt webhooks console`;
}

async function start(): Promise<void> {
  try {
    info = await api<Info>('/api/info');
    (document.getElementById('stack-info') as HTMLElement).textContent =
      info.mode === 'local' ? `Local stack (${info.source})` : `Deployed stack ${info.source} — read only`;
    (document.getElementById('nav-send') as HTMLElement).hidden = !info.canSend;
  } catch (err) {
    showError((err as Error).message);
  }
  window.addEventListener('hashchange', () => {
    route();
    main.focus();
  });
  route();
}

void start();
