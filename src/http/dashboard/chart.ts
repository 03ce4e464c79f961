import type { Channel } from '../../domain/delivery.js';
import { html, type Html } from './html.js';

export interface Series {
  channel: Channel;
  points: { at: number; value: number }[];
}

/** Colour and dash per channel, so the lines differ without colour too (the legend shows both). */
export const SERIES_STYLE: Record<Channel, { color: string; dash: string; label: string }> = {
  push: { color: '#1f5fbf', dash: '', label: 'Push' },
  sms: { color: '#a34f00', dash: '7 4', label: 'SMS' },
  email: { color: '#2b7a2f', dash: '2 3', label: 'Email' },
};

const W = 640;
const H = 200;
const M = { left: 52, right: 12, top: 12, bottom: 26 };

/** 1, 2, 5 × 10ⁿ at or above v (at least 1), so the axis reads in round numbers. */
export function niceCeil(v: number): number {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

/**
 * A line chart as inline SVG, drawn here so the page shows it without JavaScript (the script only
 * swaps in a newer one). The x axis spans `spanMs` up to `end`; one line per series. The title and
 * description name what is shown and the latest values, for screen readers.
 */
export function lineChart(o: { id: string; title: string; unit: string; series: Series[]; end: number; spanMs: number }): Html {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const max = niceCeil(Math.max(0, ...o.series.flatMap((s) => s.points.map((p) => p.value))));
  const x = (at: number) => M.left + Math.max(0, Math.min(1, 1 - (o.end - at) / o.spanMs)) * plotW;
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / max) * plotH;
  const enough = o.series.some((s) => s.points.length >= 2);
  const latest = o.series.map((s) => `${SERIES_STYLE[s.channel].label} ${s.points.length ? fmt(s.points[s.points.length - 1].value) : 'no data'}`).join(', ');
  const ago = (ms: number) => (o.spanMs < 120_000 ? `${Math.round(ms / 1000)} s` : `${+(ms / 60_000).toFixed(1)} min`);

  const grid = [0, max / 2, max].map(
    (v) => html`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d4da" stroke-width="1"/><text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#3b4250">${fmt(v)}</text>`,
  );
  const ticks = [
    { at: o.end - o.spanMs, label: `−${ago(o.spanMs)}`, anchor: 'start' },
    { at: o.end - o.spanMs / 2, label: `−${ago(o.spanMs / 2)}`, anchor: 'middle' },
    { at: o.end, label: 'now', anchor: 'end' },
  ].map((t) => html`<text x="${x(t.at).toFixed(1)}" y="${H - 6}" text-anchor="${t.anchor}" font-size="12" fill="#3b4250">${t.label}</text>`);
  const lines = o.series
    .filter((s) => s.points.length >= 2)
    .map((s) => {
      const st = SERIES_STYLE[s.channel];
      const pts = s.points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
      return html`<polyline data-series="${s.channel}" points="${pts}" fill="none" stroke="${st.color}" stroke-width="2.5" stroke-linejoin="round"${st.dash ? html` stroke-dasharray="${st.dash}"` : ''}/>`;
    });

  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${o.id}-title ${o.id}-desc"><title id="${o.id}-title">${o.title}</title><desc id="${o.id}-desc">${enough ? `Last ${ago(o.spanMs)}, ${o.unit}. Latest: ${latest}.` : 'Collecting samples: the chart starts after two samples, 2 seconds apart.'}</desc>${grid}${ticks}${lines}${enough ? '' : html`<text x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle" font-size="14" fill="#3b4250">Collecting samples…</text>`}</svg>`;
}

export function legend(): Html {
  return html`<ul class="legend">${(Object.keys(SERIES_STYLE) as Channel[]).map(
    (c) =>
      html`<li><svg width="28" height="10" aria-hidden="true" focusable="false"><line x1="0" x2="28" y1="5" y2="5" stroke="${SERIES_STYLE[c].color}" stroke-width="3"${SERIES_STYLE[c].dash ? html` stroke-dasharray="${SERIES_STYLE[c].dash}"` : ''}/></svg> ${SERIES_STYLE[c].label}</li>`,
  )}</ul>`;
}
