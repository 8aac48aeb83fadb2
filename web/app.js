/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnsift passive DNS search: the page dnsift-db serve shows at /.
 *
 * It speaks only the public DNSDB API v2 (SAF framing) of the server it came
 * from. Every value from the database reaches the page through textContent or
 * DOM attributes set one by one, never parsed as HTML: rdata can hold any
 * bytes, "<script>" included. The server's Content-Security-Policy forbids
 * inline script as a second wall.
 *
 * The query lives in the URL (/?q=...&t=...&o=...), so a search can be
 * bookmarked; the API key lives in sessionStorage, never in the URL.
 */
'use strict';

(function () {
  const API = '/dnsdb/v2/lookup';
  const KEY_STORE = 'dnsift.apiKey';
  const DEFAULT_LIMIT = 100;
  const TIMELINE_MAX_BARS = 300;
  /* URL parameter -> API parameter, for the time fences */
  const FENCES = [
    ['tfa', 'time_first_after'], ['tfb', 'time_first_before'],
    ['tla', 'time_last_after'], ['tlb', 'time_last_before'],
  ];

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
    return e;
  };

  let current = null;	/* { state, rows } of the search on screen */
  let sort = { key: null, dir: 1 };
  let seq = 0;		/* a newer search makes an older answer stale */

  /* ---- what was typed ------------------------------------------------------------ */

  const RE_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
  const RE_V6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:\/(\d{1,3}))?$/;
  const RE_RANGE = /^[0-9A-Fa-f:.]+-[0-9A-Fa-f:.]+$/;
  const RE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|TYPE\d+)$/;

  /*
   * Classify the search text. Returns { kind, value, rrtype } where kind is
   * 'name' (RRsets owned by value; value may be *.name or name.*), 'ip'
   * (value in the API's ADDR or ADDR,PFXLEN or ADDR-ADDR form) or 'rdata'
   * (names whose rdata of type rrtype is value), or { error }.
   */
  function classify(text) {
    const q = text.trim();
    if (q === '') return { error: 'Type a name, *.name, an address or network, or name/TYPE.' };
    if (/\s/.test(q)) return { error: 'A query is one name or address, without spaces.' };
    let m = RE_V4.exec(q);
    if (m) {
      if (m.slice(1, 5).some((o) => Number(o) > 255)) return { error: 'Not an IPv4 address: ' + q };
      if (m[5] !== undefined && Number(m[5]) > 32) return { error: 'An IPv4 prefix is at most /32.' };
      return { kind: 'ip', value: m[5] !== undefined ? q.replace('/', ',') : q, shown: q };
    }
    m = RE_V6.exec(q);
    if (m && q.indexOf('::') === q.lastIndexOf('::')) {
      if (m[1] !== undefined && Number(m[1]) > 128) return { error: 'An IPv6 prefix is at most /128.' };
      return { kind: 'ip', value: m[1] !== undefined ? q.replace('/', ',') : q, shown: q };
    }
    if (RE_RANGE.test(q)) return { kind: 'ip', value: q, shown: q };
    const slash = q.lastIndexOf('/');
    if (slash > 0) {
      const type = q.slice(slash + 1);
      const name = q.slice(0, slash);
      if (!RE_TYPE.test(type)) return { error: 'After the "/" comes an RR type (name/NS, name/CNAME, ...).' };
      return { kind: 'rdata', value: name, rrtype: type.toUpperCase(), shown: q };
    }
    return { kind: 'name', value: q, shown: q };
  }

  /* A time fence as typed: a Unix time, a relative "-7d", or a date (UTC). */
  function parseFence(text) {
    const s = text.trim();
    if (s === '') return null;
    if (/^\d+$/.test(s)) return s;
    const rel = /^-(\d+)([smhdw]?)$/.exec(s);
    if (rel) {
      const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[rel[2]];
      return String(-Number(rel[1]) * mult);
    }
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? s + 'T00:00:00Z'
      : /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(s) ? s.replace(' ', 'T') + 'Z' : s;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return undefined;
    return String(Math.floor(ms / 1000));
  }

  /* ---- state <-> URL <-> form ---------------------------------------------------- */

  const STATE_KEYS = ['q', 't', 'b', 'l', 'o', 'tfa', 'tfb', 'tla', 'tlb'];

  function stateFromURL() {
    const p = new URLSearchParams(window.location.search);
    const st = {};
    for (const k of STATE_KEYS) {
      const v = p.get(k);
      if (v !== null && v !== '') st[k] = v;
    }
    return st;
  }

  function stateToURL(st) {
    const p = new URLSearchParams();
    for (const k of STATE_KEYS) if (st[k] !== undefined && st[k] !== '') p.set(k, st[k]);
    return '/?' + p.toString();
  }

  function stateFromForm() {
    const st = {};
    for (const k of STATE_KEYS) {
      if (k === 'o') continue;
      const v = $(k).value.trim();
      if (v !== '') st[k] = v;
    }
    return st;
  }

  function stateToForm(st) {
    for (const k of STATE_KEYS) if (k !== 'o') $(k).value = st[k] || '';
    if (['t', 'b', 'l', 'tfa', 'tfb', 'tla', 'tlb'].some((k) => st[k])) $('filters').open = true;
  }

  /* The API request of a state, or { error }. */
  function apiRequest(st) {
    const c = classify(st.q || '');
    if (c.error) return c;
    const enc = encodeURIComponent;
    const type = st.t ? st.t.trim().toUpperCase() : '';
    if (type && !RE_TYPE.test(type)) return { error: 'Not an RR type: ' + st.t };
    let path;
    const notes = [];
    if (c.kind === 'name') {
      path = API + '/rrset/name/' + enc(c.value);
      if (type || st.b) path += '/' + enc(type || 'ANY');
      if (st.b) path += '/' + enc(st.b.trim());
    } else if (c.kind === 'rdata') {
      if (type && type !== c.rrtype) notes.push('the type after "/" (' + c.rrtype + ') is used, not the filter ' + type);
      path = API + '/rdata/name/' + enc(c.value) + '/' + enc(c.rrtype);
      if (st.b) notes.push('a bailiwick does not apply to rdata lookups');
    } else {
      path = API + '/rdata/ip/' + enc(c.value);
      if (type || st.b) notes.push('RR type and bailiwick do not apply to address lookups');
    }
    const params = new URLSearchParams();
    const limit = st.l ? Number(st.l) : DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) return { error: 'The limit is a whole number of at least 1.' };
    const offset = st.o ? Number(st.o) : 0;
    if (!Number.isInteger(offset) || offset < 0) return { error: 'The offset is a whole number.' };
    params.set('limit', String(limit));
    if (offset > 0) params.set('offset', String(offset));
    for (const [k, api] of FENCES) {
      if (!st[k]) continue;
      const v = parseFence(st[k]);
      if (v === undefined) return { error: 'Not a time: ' + st[k] + ' (a date, a Unix time, or -7d)' };
      params.set(api, v);
    }
    return { kind: c.kind, shown: c.shown, rrtype: c.rrtype, path, query: params.toString(),
      limit, offset, notes };
  }

  /* ---- talking to the API ---------------------------------------------------------- */

  function apiKey() {
    try { return window.sessionStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; }
  }

  /*
   * Run one lookup. Resolves to { rows, cond, msg } where cond is the SAF
   * condition that ended the answer ('succeeded', 'limited', 'failed', or
   * 'truncated' when the stream ended without one), or { http, text } for a
   * non-200 answer.
   */
  async function lookup(req) {
    const headers = { Accept: 'application/x-ndjson' };
    const key = apiKey();
    if (key) headers['X-API-Key'] = key;
    const resp = await fetch(req.path + (req.query ? '?' + req.query : ''),
      { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    const body = await resp.text();
    if (resp.status !== 200) return { http: resp.status, text: body.trim() };
    const rows = [];
    let cond = 'truncated';
    let msg = '';
    let begun = false;
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      let o;
      try { o = JSON.parse(line); } catch (e) {
        return { rows, cond: 'failed', msg: 'the server sent a line that is not JSON' };
      }
      if (o && typeof o.cond === 'string') {
        if (o.cond === 'begin') { begun = true; continue; }
        if (o.cond === 'ongoing') continue;
        cond = o.cond;
        msg = typeof o.msg === 'string' ? o.msg : '';
        break;
      }
      if (o && o.obj && typeof o.obj === 'object') rows.push(normalise(o.obj));
    }
    if (!begun && cond === 'truncated') msg = 'no SAF begin line';
    return { rows, cond, msg };
  }

  /* One SAF object as the table wants it. Values stay strings as sent. */
  function normalise(o) {
    const num = (v) => (typeof v === 'number' ? v : (typeof v === 'string' && /^\d+$/.test(v) ? Number(v)
      : (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Math.floor(Date.parse(v) / 1000) : null)));
    const rdata = Array.isArray(o.rdata) ? o.rdata.map(String) : (o.rdata === undefined ? [] : [String(o.rdata)]);
    return {
      rrname: String(o.rrname === undefined ? '' : o.rrname),
      rrtype: String(o.rrtype === undefined ? '' : o.rrtype),
      rdata,
      bailiwick: o.bailiwick === undefined ? '' : String(o.bailiwick),
      first: num(o.time_first !== undefined ? o.time_first : o.zone_time_first),
      last: num(o.time_last !== undefined ? o.time_last : o.zone_time_last),
      count: typeof o.count === 'number' ? o.count : null,
    };
  }

  /* ---- rendering ------------------------------------------------------------------- */

  function human(t) {
    if (t === null) return '';
    const d = new Date(t * 1000);
    if (Number.isNaN(d.getTime())) return '';
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function pivotHref(q) {
    return '/?q=' + encodeURIComponent(q);
  }

  function link(text, q, title) {
    const a = el('a', 'pivot', text);
    a.href = pivotHref(q);
    a.title = title;
    return a;
  }

  /* The network an address pivots to: its /24, or its /64 for IPv6. */
  function addressNet(addr) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
    if (m) return m[1] + '.' + m[2] + '.' + m[3] + '.0/24';
    if (addr.indexOf(':') >= 0) return expand6Prefix64(addr);
    return null;
  }

  function expand6Prefix64(addr) {
    const halves = addr.split('::');
    if (halves.length > 2) return null;
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
    if (tail.length && tail[tail.length - 1].indexOf('.') >= 0) return null; /* v4-mapped: leave */
    const fill = 8 - head.length - tail.length;
    if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
    const groups = head.concat(new Array(halves.length === 2 ? fill : 0).fill('0'), tail);
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
    return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':') + '::/64';
  }

  /*
   * The spans of one rdata string that are names or addresses, as
   * [{ start, end, q, title }]. The string itself is shown unchanged; only
   * these spans become links. Names the store indexes inside rdata (NS, CNAME,
   * DNAME, PTR, MX, SRV, SOA, SVCB, HTTPS: db/db_keys.c) pivot to rdata/name
   * NAME/TYPE; other names to their own RRsets; addresses to their network.
   */
  function rdataSpans(rrtype, rd) {
    const spans = [];
    /* space-separated fields with their offsets; names never hold a raw space */
    const fields = [];
    const re = /\S+/g;
    let m;
    while ((m = re.exec(rd)) !== null) fields.push({ text: m[0], start: m.index, end: m.index + m[0].length });
    const name = (f, type, title) => {
      if (!f || f.text === '.' || f.text.startsWith('"')) return;
      spans.push({ start: f.start, end: f.end, q: f.text + '/' + type, title });
    };
    /* a name the rdata index does not hold (db_keys.c): pivot to its own RRsets */
    const owner = (f, title) => {
      if (!f || f.text === '.' || f.text.startsWith('"')) return;
      spans.push({ start: f.start, end: f.end, q: f.text, title });
    };
    const addr = (start, text) => {
      const net = addressNet(text);
      if (net) spans.push({ start, end: start + text.length, q: net, title: 'names pointing into ' + net });
    };
    switch (rrtype) {
    case 'NS': name(fields[0], 'NS', 'names this nameserver serves'); break;
    case 'CNAME': name(fields[0], 'CNAME', 'names that are aliases of this name'); break;
    case 'DNAME': name(fields[0], 'DNAME', 'names redirected to this name'); break;
    case 'PTR': name(fields[0], 'PTR', 'addresses whose PTR is this name'); break;
    case 'MX': name(fields[1], 'MX', 'names this mail exchanger serves'); break;
    case 'SRV': name(fields[3], 'SRV', 'services on this host'); break;
    case 'SOA':
      name(fields[0], 'SOA', 'zones whose SOA names this primary');
      name(fields[1], 'SOA', 'zones whose SOA names this contact');
      break;
    case 'NAPTR': if (fields.length >= 6) owner(fields[fields.length - 1], 'RRsets of the replacement'); break;
    case 'RRSIG': if (fields.length >= 9) owner(fields[7], 'RRsets of the signing zone'); break;
    case 'NSEC': owner(fields[0], 'RRsets of the next name'); break;
    case 'RP': owner(fields[0], 'RRsets of the mailbox name'); owner(fields[1], 'RRsets of the TXT name'); break;
    case 'AFSDB':
    case 'KX': owner(fields[1], 'RRsets of the host'); break;
    case 'SVCB':
    case 'HTTPS':
      name(fields[1], rrtype, 'names whose ' + rrtype + ' target is this name');
      for (const f of fields.slice(2)) {
        const h = /^(ipv4hint|ipv6hint)=(.*)$/.exec(f.text);
        if (!h) continue;
        let off = f.start + h[1].length + 1;
        for (const a of h[2].split(',')) { addr(off, a); off += a.length + 1; }
      }
      break;
    case 'A':
    case 'AAAA':
      if (fields.length === 1) addr(fields[0].start, fields[0].text);
      break;
    default: break;
    }
    return spans.sort((x, y) => x.start - y.start);
  }

  function rdataLine(rrtype, rd) {
    const div = el('div', 'rr');
    let at = 0;
    for (const s of rdataSpans(rrtype, rd)) {
      if (s.start < at) continue;
      if (s.start > at) div.appendChild(document.createTextNode(rd.slice(at, s.start)));
      div.appendChild(link(rd.slice(s.start, s.end), s.q, s.title));
      at = s.end;
    }
    if (at < rd.length) div.appendChild(document.createTextNode(rd.slice(at)));
    return div;
  }

  function timeCell(t) {
    const td = el('td', 'time');
    if (t === null) return td;
    td.appendChild(el('span', 'human', human(t)));
    td.appendChild(el('span', 'epoch', String(t)));
    return td;
  }

  function renderRows(rows) {
    const tbody = $('rows');
    tbody.replaceChildren();
    for (const r of rows) {
      const tr = el('tr');
      const n = el('td', 'rrname');
      n.appendChild(link(r.rrname, r.rrname, 'RRsets owned by this name'));
      tr.appendChild(n);
      tr.appendChild(el('td', 'rrtype', r.rrtype));
      const rd = el('td', 'rdata');
      for (const x of r.rdata) rd.appendChild(rdataLine(r.rrtype, x));
      tr.appendChild(rd);
      const bw = el('td', 'bailiwick');
      if (r.bailiwick) bw.appendChild(link(r.bailiwick, r.bailiwick, 'RRsets owned by this zone'));
      tr.appendChild(bw);
      tr.appendChild(timeCell(r.first));
      tr.appendChild(timeCell(r.last));
      tr.appendChild(el('td', 'count num', r.count === null ? '' : String(r.count)));
      tbody.appendChild(tr);
    }
    for (const th of document.querySelectorAll('#results th')) {
      th.setAttribute('aria-sort', th.dataset.key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  function sortedRows(rows) {
    if (!sort.key) return rows;
    const k = sort.key;
    const val = (r) => (k === 'rdata' ? r.rdata.join('\n') : r[k]);
    return rows.slice().sort((a, b) => {
      const x = val(a);
      const y = val(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sort.dir;
    });
  }

  function renderTimeline(rows) {
    const box = $('timeline');
    box.replaceChildren();
    const bars = rows.filter((r) => r.first !== null && r.last !== null).slice(0, TIMELINE_MAX_BARS);
    if (bars.length === 0) { $('timeline-wrap').hidden = true; return; }
    const t0 = Math.min(...bars.map((r) => r.first));
    const t1 = Math.max(...bars.map((r) => r.last));
    const span = Math.max(t1 - t0, 1);
    const W = 1000, LABEL = 330, ROW = 18, TOP = 22;
    const plot = W - LABEL - 20;
    const H = TOP + bars.length * ROW + 8;
    box.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    box.setAttribute('width', String(W));
    box.setAttribute('height', String(H));
    const axis = svg('g', { class: 'axis' });
    /* start, middle and end; a label only where its time differs from the last one */
    const ticks = t1 - t0 >= 2 ? 2 : 1;
    let lastLabel = '';
    for (let i = 0; i <= ticks; i++) {
      const x = LABEL + (plot * i) / ticks;
      axis.appendChild(svg('line', { x1: x, x2: x, y1: TOP - 4, y2: H - 4 }));
      const text = human(i === ticks ? t1 : Math.round(t0 + (span * i) / ticks));
      if (text === lastLabel) continue;
      lastLabel = text;
      const lab = svg('text', { x, y: 12, 'text-anchor': i === 0 ? 'start' : (i === ticks ? 'end' : 'middle') });
      lab.textContent = text;
      axis.appendChild(lab);
    }
    box.appendChild(axis);
    const types = [];
    bars.forEach((r, i) => {
      const y = TOP + i * ROW;
      let ti = types.indexOf(r.rrtype);
      if (ti < 0) { types.push(r.rrtype); ti = types.length - 1; }
      const g = svg('g', { class: 'bar c' + (ti % 8) });
      const label = svg('text', { x: LABEL - 8, y: y + ROW - 5, 'text-anchor': 'end' });
      const rd = r.rdata.length ? r.rdata[0] + (r.rdata.length > 1 ? ' (+' + (r.rdata.length - 1) + ')' : '') : '';
      const full = r.rrname + ' ' + r.rrtype + ' ' + rd;
      label.textContent = full.length > 46 ? full.slice(0, 45) + '\u2026' : full;
      g.appendChild(label);
      const x = LABEL + ((r.first - t0) / span) * plot;
      const w = Math.max(((r.last - r.first) / span) * plot, 3);
      g.appendChild(svg('rect', { x: x.toFixed(1), y: y + 3, width: w.toFixed(1), height: ROW - 6, rx: 2 }));
      const tip = svg('title');
      tip.textContent = full + '\n' + human(r.first) + ' \u2013 ' + human(r.last) + ', count ' + r.count;
      g.appendChild(tip);
      box.appendChild(g);
    });
    $('timeline-wrap').hidden = false;
  }

  function showMessage(kind, text) {
    const m = $('message');
    m.className = 'message ' + kind;
    m.textContent = text;
    m.hidden = text === '';
  }

  function clearResults() {
    $('summary').hidden = true;
    $('table-wrap').hidden = true;
    $('timeline-wrap').hidden = true;
    $('pager').hidden = true;
    $('rows').replaceChildren();
    showMessage('', '');
  }

  const KIND_TEXT = {
    name: (r) => (r.shown.startsWith('*.') ? 'names below ' + r.shown.slice(2)
      : r.shown.endsWith('.*') ? 'names ' + r.shown : 'RRsets owned by ' + r.shown),
    ip: (r) => 'names pointing into ' + r.shown,
    rdata: (r) => 'names whose ' + r.rrtype + ' rdata is ' + r.shown.slice(0, r.shown.lastIndexOf('/')),
  };

  function renderAnswer(st, req, ans) {
    clearResults();
    document.title = (st.q || '') + ' \u2013 dnsift passive DNS search';
    if (ans.http !== undefined) {
      const why = ans.http === 401 ? 'This server needs an API key: enter it under "API key".'
        : ans.http === 403 ? 'The server did not accept this API key.' : '';
      if (ans.http === 401 || ans.http === 403) $('keybox').open = true;
      showMessage('error', 'HTTP ' + ans.http + (why ? ': ' + why : '') + (ans.text ? ' ' + ans.text : ''));
      return;
    }
    const rows = ans.rows;
    current = { st, req, rows };
    const first = req.offset + 1;
    const last = req.offset + rows.length;
    const sum = $('summary');
    sum.replaceChildren();
    sum.appendChild(el('strong', null, rows.length + ' RRset' + (rows.length === 1 ? '' : 's')));
    sum.appendChild(document.createTextNode(', ' + KIND_TEXT[req.kind](req) +
      (rows.length ? ' (rows ' + first + '\u2013' + last + ')' : '') + '. API: '));
    sum.appendChild(el('code', 'api-path', req.path + (req.query ? '?' + req.query : '')));
    sum.hidden = false;

    let msg = '';
    let kind = 'info';
    if (ans.cond === 'limited') {
      msg = 'Limited: ' + (ans.msg || 'the server stopped at a limit') + '. There may be more than these ' +
        rows.length + ' rows: use Next, or narrow the query.';
      kind = 'warn';
    } else if (ans.cond === 'failed') {
      msg = 'Query failed: ' + (ans.msg || 'no reason given') + (rows.length ? '. The rows below arrived before the failure.' : '.');
      kind = 'error';
    } else if (ans.cond === 'truncated') {
      msg = 'The answer ended without a SAF end marker (' + (ans.msg || 'connection cut') + '): the rows may be incomplete.';
      kind = 'error';
    } else if (rows.length === 0) {
      msg = 'No records: the database holds nothing that matches ' + (st.q || '') + (req.offset ? ' at offset ' + req.offset : '') + '.';
    }
    if (req.notes.length) msg += (msg ? ' ' : '') + 'Note: ' + req.notes.join('; ') + '.';
    showMessage(kind, msg);

    if (rows.length) {
      renderRows(sortedRows(rows));
      $('table-wrap').hidden = false;
      renderTimeline(rows);
    }
    const hasPrev = req.offset > 0;
    const hasNext = ans.cond === 'limited' && rows.length >= req.limit;
    if (hasPrev || hasNext) {
      $('prev').disabled = !hasPrev;
      $('next').disabled = !hasNext;
      $('page-info').textContent = rows.length ? 'rows ' + first + '\u2013' + last : 'offset ' + req.offset;
      $('pager').hidden = false;
    }
  }

  /* ---- driving ----------------------------------------------------------------------- */

  async function run(st) {
    const my = ++seq;
    stateToForm(st);
    if (!st.q) { clearResults(); return; }
    const req = apiRequest(st);
    if (req.error) { clearResults(); showMessage('error', req.error); return; }
    document.body.classList.add('busy');
    showMessage('info', 'Searching\u2026');
    let ans;
    try {
      ans = await lookup(req);
    } catch (e) {
      ans = { http: 0, text: 'the server could not be reached (' + e.message + ')' };
    }
    if (my !== seq) return;
    document.body.classList.remove('busy');
    renderAnswer(st, req, ans);
    document.body.dataset.done = String(my);	/* lets a test wait for the answer */
  }

  function navigate(st, replace) {
    const url = stateToURL(st);
    if (replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    run(st);
  }

  function init() {
    $('search').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const key = $('key').value;
      try {
        if (key) window.sessionStorage.setItem(KEY_STORE, key);
      } catch (e) { /* storage off: the key is used for this page only */ }
      navigate(stateFromForm(), false);
    });
    $('key').value = apiKey();
    $('key').addEventListener('change', () => {
      try { window.sessionStorage.setItem(KEY_STORE, $('key').value); } catch (e) { /* see above */ }
    });
    $('forget').addEventListener('click', () => {
      try { window.sessionStorage.removeItem(KEY_STORE); } catch (e) { /* see above */ }
      $('key').value = '';
    });
    /* pivot links: same page, new history entry, no reload */
    document.addEventListener('click', (ev) => {
      const a = ev.target.closest && ev.target.closest('a.pivot');
      if (!a || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      const u = new URL(a.href);
      const st = {};
      for (const k of STATE_KEYS) { const v = u.searchParams.get(k); if (v) st[k] = v; }
      $('filters').open = false;
      navigate(st, false);
    });
    for (const th of document.querySelectorAll('#results th')) {
      th.querySelector('button').addEventListener('click', () => {
        const k = th.dataset.key;
        sort = { key: k, dir: sort.key === k ? -sort.dir : 1 };
        if (current) renderRows(sortedRows(current.rows));
      });
    }
    const page = (delta) => {
      if (!current) return;
      const st = Object.assign({}, current.st);
      const off = Math.max(0, current.req.offset + delta * current.req.limit);
      if (off) st.o = String(off); else delete st.o;
      navigate(st, false);
    };
    $('prev').addEventListener('click', () => page(-1));
    $('next').addEventListener('click', () => page(1));
    window.addEventListener('popstate', () => run(stateFromURL()));
    run(stateFromURL());
  }

  /* exported for the browser test's unit checks of the parser */
  window.dnsiftSearch = { classify, parseFence, addressNet, rdataSpans };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
