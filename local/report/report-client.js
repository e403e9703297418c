/**
 * The charts of the run report (inlined into report.html by render-report.ts): reads the JSON embedded in
 * the page and draws SVG into every figure element with a `data-chart` attribute. Plain browser
 * JavaScript, no dependencies.
 *
 * Every string from the data goes through textContent or setAttribute, never through HTML parsing.
 * Each drawn bar has the class `mark`; a figure with nothing to draw gets `data-empty="true"`. When all
 * figures are done, the html element gets `data-charts-ready="true"` (and `data-chart-errors` on failures).
 */
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CHANNEL_COLORS = { email: '#4e79a7', sms: '#f28e2b', push: '#59a14f' };
  const PALETTE = ['#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#e15759', '#bab0ac'];
  const MAX_ROWS = 30;
  const LABEL_CHARS = 30;

  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const usd = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
  });

  const source = document.getElementById('report-data');
  const data = JSON.parse(source?.textContent || 'null');

  function node(name, attrs, parent) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
    if (parent) parent.appendChild(el);
    return el;
  }

  function label(parent, x, y, content, attrs) {
    const el = node('text', { x, y, ...attrs }, parent);
    el.textContent = content;
    return el;
  }

  function tooltip(el, content) {
    node('title', {}, el).textContent = content;
  }

  function truncate(s, n) {
    return s.length > n ? `${s.slice(0, n - 1)}…` : s;
  }

  /** Round tick values covering [min, max] (integers only when `integer`). */
  function ticks(min, max, count, integer) {
    const span = max - min || 1;
    const raw = span / count;
    const pow = 10 ** Math.floor(Math.log10(raw));
    const f = raw / pow;
    let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
    if (integer) step = Math.max(1, Math.round(step));
    const lo = Math.floor(min / step) * step;
    const hi = Math.max(Math.ceil(max / step) * step, lo + step);
    const out = [];
    for (let i = 0; lo + i * step <= hi + step / 1e6; i++) out.push(Number((lo + i * step).toPrecision(12)));
    return out;
  }

  function plotOf(figure) {
    let plot = figure.querySelector('.plot');
    if (!plot) {
      plot = document.createElement('div');
      plot.className = 'plot';
      figure.appendChild(plot);
    }
    return plot;
  }

  function chartSvg(figure, width, height) {
    const caption = figure.querySelector('figcaption');
    const root = node('svg', {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-label': caption ? caption.textContent.trim() : figure.dataset.chart,
    });
    root.style.maxWidth = `${width}px`;
    plotOf(figure).appendChild(root);
    return root;
  }

  function empty(figure, message) {
    figure.dataset.empty = 'true';
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = message;
    plotOf(figure).appendChild(p);
  }

  function legend(figure, series) {
    const list = document.createElement('ul');
    list.className = 'legend';
    for (const s of series) {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = s.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      list.appendChild(item);
    }
    figure.appendChild(list);
  }

  /**
   * Horizontal bars, one row per item: rows `{ label, value, detail? }`; negative values grow left of a
   * zero line. Options: `axis` (value axis label), `labels` (label column heading), `color`, `integer`,
   * `format`, `empty` (message when there are no rows).
   */
  function bars(figure, allRows, o) {
    if (allRows.length === 0) return empty(figure, o.empty);
    const rows = allRows.slice(0, MAX_ROWS);
    const format = o.format || ((v) => number.format(v));
    const width = 600;
    const labelW = 210;
    const right = 80;
    const rowH = 24;
    const top = 26;
    const plotW = width - labelW - right;
    const plotH = rows.length * rowH;
    const height = top + plotH + 44;
    const values = rows.map((r) => r.value);
    const t = ticks(Math.min(0, ...values), Math.max(0, ...values), 5, o.integer);
    const d0 = t[0];
    const d1 = t[t.length - 1];
    const x = (v) => labelW + ((v - d0) / (d1 - d0)) * plotW;
    const root = chartSvg(figure, width, height);

    for (const v of t) {
      node(
        'line',
        { x1: x(v), x2: x(v), y1: top - 4, y2: top + plotH, class: v === 0 ? 'axis' : 'grid' },
        root,
      );
      label(root, x(v), top + plotH + 16, format(v), { class: 'tick', 'text-anchor': 'middle' });
    }
    label(root, labelW + plotW / 2, height - 6, o.axis, { class: 'axis-label', 'text-anchor': 'middle' });
    label(root, labelW - 8, top - 10, o.labels, { class: 'axis-label', 'text-anchor': 'end' });

    rows.forEach((r, i) => {
      const y = top + i * rowH;
      const name = label(root, labelW - 8, y + rowH / 2 + 4, truncate(r.label, LABEL_CHARS), {
        class: 'label',
        'text-anchor': 'end',
      });
      tooltip(name, r.label);
      const x0 = x(Math.min(0, r.value));
      const x1 = x(Math.max(0, r.value));
      const bar = node(
        'rect',
        {
          x: x0,
          y: y + 4,
          width: Math.max(x1 - x0, 1),
          height: rowH - 8,
          rx: 2,
          class: 'mark',
          fill: r.value < 0 ? '#e15759' : o.color,
          'data-value': r.value,
        },
        root,
      );
      bar.dataset.label = r.label;
      tooltip(bar, `${r.label}: ${format(r.value)}${r.detail ? ` (${r.detail})` : ''}`);
      label(root, r.value < 0 ? x(0) + 4 : x1 + 4, y + rowH / 2 + 4, format(r.value), { class: 'value' });
    });
    if (allRows.length > rows.length) {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = `Showing the first ${rows.length} of ${allRows.length}; the table lists all.`;
      plotOf(figure).appendChild(note);
    }
  }

  /**
   * Estimates with their intervals, one row each: a dot (the `mark`) on a horizontal error bar from
   * `low` to `high`, and a zero line. Rows `{ label, estimate, low, high, detail?, group? }`; group rows
   * are drawn in the accent colour below a rule. Options: `axis`, `labels`, `format`, `empty`.
   */
  function intervals(figure, allRows, o) {
    if (allRows.length === 0) return empty(figure, o.empty);
    const rows = allRows.slice(0, MAX_ROWS);
    const format = o.format;
    const width = 600;
    const labelW = 210;
    const right = 24;
    const rowH = 24;
    const top = 26;
    const plotW = width - labelW - right;
    const plotH = rows.length * rowH;
    const height = top + plotH + 44;
    const lows = rows.map((r) => r.low);
    const highs = rows.map((r) => r.high);
    const t = ticks(Math.min(0, ...lows), Math.max(0, ...highs), 5, false);
    const d0 = t[0];
    const d1 = t[t.length - 1];
    const x = (v) => labelW + ((v - d0) / (d1 - d0)) * plotW;
    const root = chartSvg(figure, width, height);

    for (const v of t) {
      node(
        'line',
        { x1: x(v), x2: x(v), y1: top - 4, y2: top + plotH, class: v === 0 ? 'axis' : 'grid' },
        root,
      );
      label(root, x(v), top + plotH + 16, format(v), { class: 'tick', 'text-anchor': 'middle' });
    }
    label(root, labelW + plotW / 2, height - 6, o.axis, { class: 'axis-label', 'text-anchor': 'middle' });
    label(root, labelW - 8, top - 10, o.labels, { class: 'axis-label', 'text-anchor': 'end' });

    rows.forEach((r, i) => {
      const y = top + i * rowH + rowH / 2;
      const color = r.group ? '#b07aa1' : r.low > 0 ? '#59a14f' : r.high < 0 ? '#e15759' : '#4e79a7';
      if (r.group && (i === 0 || !rows[i - 1].group))
        node('line', { x1: 0, x2: width, y1: y - rowH / 2, y2: y - rowH / 2, class: 'grid' }, root);
      const name = label(root, labelW - 8, y + 4, truncate(r.label, LABEL_CHARS), {
        class: 'label',
        'text-anchor': 'end',
      });
      tooltip(name, r.label);
      node('line', { x1: x(r.low), x2: x(r.high), y1: y, y2: y, stroke: color, 'stroke-width': 2 }, root);
      for (const end of [r.low, r.high])
        node(
          'line',
          { x1: x(end), x2: x(end), y1: y - 5, y2: y + 5, stroke: color, 'stroke-width': 2 },
          root,
        );
      const dot = node(
        'circle',
        { cx: x(r.estimate), cy: y, r: 4.5, class: 'mark', fill: color, 'data-value': r.estimate },
        root,
      );
      dot.dataset.label = r.label;
      tooltip(
        dot,
        `${r.label}: ${format(r.estimate)} [${format(r.low)}, ${format(r.high)}]${r.detail ? ` (${r.detail})` : ''}`,
      );
    });
    if (allRows.length > rows.length) {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = `Showing the first ${rows.length} of ${allRows.length}; the table lists all.`;
      plotOf(figure).appendChild(note);
    }
  }

  /**
   * Vertical bars in groups: one group per category, one bar (a `mark`) per series with a value
   * (null values are left out). `series` is `[{ name, color, values }]`, values aligned with `categories`.
   */
  function grouped(figure, categories, series, o) {
    const count = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
    if (count === 0) return empty(figure, o.empty);
    const width = 900;
    const height = 300;
    const m = { left: 64, right: 16, top: 14, bottom: 52 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const values = series.flatMap((s) => s.values.filter((v) => v !== null));
    const t = ticks(0, Math.max(...values), 5, false);
    const topV = t[t.length - 1];
    const y = (v) => m.top + plotH - (v / topV) * plotH;
    const band = plotW / categories.length;
    const barW = (band * 0.7) / series.length;
    const root = chartSvg(figure, width, height);

    for (const v of t) {
      node(
        'line',
        { x1: m.left, x2: m.left + plotW, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' },
        root,
      );
      label(root, m.left - 6, y(v) + 4, o.format(v), { class: 'tick', 'text-anchor': 'end' });
    }
    label(root, 14, m.top + plotH / 2, o.axis, {
      class: 'axis-label',
      'text-anchor': 'middle',
      transform: `rotate(-90 14 ${m.top + plotH / 2})`,
    });
    categories.forEach((category, c) => {
      const x0 = m.left + band * c + band * 0.15;
      label(root, m.left + band * c + band / 2, m.top + plotH + 18, category, {
        class: 'label',
        'text-anchor': 'middle',
      });
      series.forEach((s, k) => {
        const v = s.values[c];
        if (v === null || v === undefined) return;
        const rect = node(
          'rect',
          {
            x: x0 + k * barW,
            y: y(v),
            width: Math.max(barW - 2, 1),
            height: Math.max(y(0) - y(v), 0.5),
            class: 'mark',
            fill: s.color,
            'data-series': s.name,
            'data-value': v,
          },
          root,
        );
        tooltip(rect, `${s.name} · ${category}: ${o.format(v)}`);
        label(root, x0 + k * barW + barW / 2 - 1, y(v) - 4, o.format(v), {
          class: 'value',
          'text-anchor': 'middle',
        });
      });
    });
    legend(figure, series);
  }

  /** Measurement rows with an interval, campaigns first, then the pooled groups. */
  function estimateRows(measurement, pick, scale) {
    if (!measurement) return [];
    const rows = [];
    const add = (r, label, group) => {
      const e = pick(r.figures);
      if (e === null) return;
      const c = r.counts;
      rows.push({
        label,
        group,
        estimate: e.estimate * scale,
        low: e.low * scale,
        high: e.high * scale,
        detail: `${number.format(c.treated.members)} recipients, ${number.format(c.control.members)} control`,
      });
    };
    for (const r of measurement.campaigns) add(r, r.id, false);
    add(measurement.groups.personalised, 'all personalised', true);
    add(measurement.groups.generic, 'all generic', true);
    add(measurement.total, 'all campaigns', true);
    return rows;
  }

  const signed = (digits, unit) => (v) => `${v > 0 ? '+' : ''}${v.toFixed(digits)}${unit}`;
  const percent = (v) => `${(v * 100).toFixed(1)}%`;

  /** Stacked bars of messages per day (per week or 30 days on long runs), one colour per channel. */
  function daily(figure, perDay) {
    const channels = perDay.channels;
    const total = perDay.days.reduce((sum, d) => sum + d.counts.reduce((a, b) => a + b, 0), 0);
    if (total === 0) return empty(figure, 'No messages in this run.');
    const binDays = perDay.days.length <= 400 ? 1 : perDay.days.length <= 2800 ? 7 : 30;
    const bins = [];
    for (let i = 0; i < perDay.days.length; i += binDays) {
      const chunk = perDay.days.slice(i, i + binDays);
      const first = chunk[0];
      const last = chunk[chunk.length - 1];
      const counts = channels.map((_, c) => chunk.reduce((sum, d) => sum + (d.counts[c] || 0), 0));
      bins.push({ from: first.day, to: last.day, counts });
    }
    const colors = channels.map((c, i) => CHANNEL_COLORS[c] || PALETTE[i % PALETTE.length]);
    const width = 900;
    const height = 320;
    const m = { left: 64, right: 16, top: 14, bottom: 52 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const max = Math.max(...bins.map((b) => b.counts.reduce((a, c) => a + c, 0)));
    const t = ticks(0, max, 5, true);
    const top = t[t.length - 1];
    const y = (v) => m.top + plotH - (v / top) * plotH;
    const band = plotW / bins.length;
    const barW = Math.max(band * 0.8, 0.6);
    const root = chartSvg(figure, width, height);

    for (const v of t) {
      node(
        'line',
        { x1: m.left, x2: m.left + plotW, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'grid' },
        root,
      );
      label(root, m.left - 6, y(v) + 4, number.format(v), { class: 'tick', 'text-anchor': 'end' });
    }
    const unit = binDays === 1 ? 'day' : binDays === 7 ? 'week' : '30 days';
    label(root, 14, m.top + plotH / 2, `messages per ${unit}`, {
      class: 'axis-label',
      'text-anchor': 'middle',
      transform: `rotate(-90 14 ${m.top + plotH / 2})`,
    });
    label(root, m.left + plotW / 2, height - 6, `send ${unit === 'day' ? 'day' : 'period'} (UTC)`, {
      class: 'axis-label',
      'text-anchor': 'middle',
    });

    const sameYear = bins[0].from.slice(0, 4) === bins[bins.length - 1].to.slice(0, 4);
    const every = Math.max(1, Math.ceil(bins.length / 10));
    bins.forEach((b, i) => {
      const cx = m.left + band * i + band / 2;
      if (i % every === 0) {
        node('line', { x1: cx, x2: cx, y1: m.top + plotH, y2: m.top + plotH + 4, class: 'axis' }, root);
        label(root, cx, m.top + plotH + 18, sameYear ? b.from.slice(5) : b.from, {
          class: 'tick',
          'text-anchor': 'middle',
        });
      }
      const period = b.from === b.to ? b.from : `${b.from} – ${b.to}`;
      let base = 0;
      b.counts.forEach((n, c) => {
        if (n === 0) return;
        const rect = node(
          'rect',
          {
            x: cx - barW / 2,
            y: y(base + n),
            width: barW,
            height: Math.max(y(base) - y(base + n), 0.5),
            class: 'mark',
            fill: colors[c],
            'data-series': channels[c],
            'data-value': n,
          },
          root,
        );
        tooltip(rect, `${period} · ${channels[c]}: ${number.format(n)}`);
        base += n;
      });
    });
    legend(
      figure,
      channels.map((name, i) => ({ name, color: colors[i] })),
    );
  }

  const campaignName = (id) => (id === null ? '(no campaign)' : id);

  const charts = {
    'uplift-by-campaign': (f) =>
      intervals(
        f,
        estimateRows(data.measurement, (x) => x.uplift, 100),
        {
          axis: 'conversion uplift, percentage points (95% CI)',
          labels: 'campaign',
          format: signed(1, ' pp'),
          empty: 'No campaign has both recipients and a control group.',
        },
      ),
    'incremental-orders-by-campaign': (f) =>
      intervals(
        f,
        estimateRows(data.measurement, (x) => x.incrementalOrders, 1),
        {
          axis: 'incremental orders per recipient (95% CI)',
          labels: 'campaign',
          format: signed(3, ''),
          empty: 'No campaign has two or more recipients and control members.',
        },
      ),
    'personalised-vs-generic': (f) => {
      const m = data.measurement;
      const groups = m ? [m.groups.personalised, m.groups.generic] : [];
      const metrics = [
        ['conversion, recipients', (x) => x.conversionRate],
        ['conversion, control', (x) => x.controlConversionRate],
        ['repeat purchases', (x) => x.repeatRate],
        ['redemption', (x) => x.redemptionRate],
      ];
      grouped(
        f,
        metrics.map(([name]) => name),
        groups.map((g, i) => ({
          name: i === 0 ? 'personalised' : 'generic',
          color: i === 0 ? '#b07aa1' : '#4e79a7',
          values: metrics.map(([, pick]) => pick(g.figures)),
        })),
        { axis: 'share', format: percent, empty: 'No measurement in this run.' },
      );
    },
    'messages-per-day': (f) => daily(f, data.messages.perDay),
    'bonuses-by-campaign': (f) =>
      bars(
        f,
        data.bonuses.byCampaign.map((c) => ({
          label: campaignName(c.campaignId),
          value: c.entries,
          detail: `${number.format(c.points)} points`,
        })),
        {
          axis: 'ledger entries',
          labels: 'campaign',
          color: '#4e79a7',
          integer: true,
          empty: 'No ledger entries.',
        },
      ),
    'points-by-campaign': (f) =>
      bars(
        f,
        data.bonuses.byCampaign
          .filter((c) => c.points !== 0)
          .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
          .map((c) => ({
            label: campaignName(c.campaignId),
            value: c.points,
            detail: `${number.format(c.entries)} entries`,
          })),
        { axis: 'net points', labels: 'campaign', color: '#59a14f', empty: 'No points credited or debited.' },
      ),
    'suppressions-by-reason': (f) =>
      bars(
        f,
        data.suppressions.byReason.map((r) => ({ label: r.key, value: r.count })),
        {
          axis: 'suppressed',
          labels: 'reason',
          color: '#b07aa1',
          integer: true,
          empty: 'Nothing was suppressed.',
        },
      ),
    'suppressions-by-campaign': (f) =>
      bars(
        f,
        data.suppressions.byCampaign.map((c) => ({ label: c.campaignId, value: c.total })),
        {
          axis: 'suppressed',
          labels: 'campaign',
          color: '#b07aa1',
          integer: true,
          empty: 'Nothing was suppressed.',
        },
      ),
    'deferrals-by-campaign': (f) =>
      bars(
        f,
        data.deferrals.map((d) => ({
          label: d.campaignId,
          value: d.deferred,
          detail: `of ${number.format(d.fired)} fired`,
        })),
        {
          axis: 'deferred occurrences',
          labels: 'campaign',
          color: '#f28e2b',
          integer: true,
          empty: 'No occurrence was deferred.',
        },
      ),
    'replenishment-products': (f) =>
      bars(
        f,
        data.replenishment.top.map((p) => ({
          label: p.sku !== null && p.sku !== p.product ? `${p.product} (${p.sku})` : p.product,
          value: p.messages,
          detail: p.category === null ? undefined : p.category,
        })),
        {
          axis: 'replenishment messages',
          labels: 'product',
          color: '#76b7b2',
          integer: true,
          empty: 'No replenishment messages in this run.',
        },
      ),
    'rejected-by-rule': (f) =>
      bars(
        f,
        data.rejected.byRule.map((r) => ({ label: r.key, value: r.count })),
        {
          axis: 'rejected lines',
          labels: 'rule',
          color: '#e15759',
          integer: true,
          empty: 'No rejected events.',
        },
      ),
    'cost-by-item': (f) => {
      const cost = data.cost;
      const rows = [];
      if (cost !== null)
        for (const line of cost.lines) {
          if (typeof line.usd !== 'number') continue;
          const name =
            typeof line.item === 'string'
              ? line.item
              : Object.values(line).find((v) => typeof v === 'string');
          rows.push({ label: name === undefined ? '(item)' : name, value: line.usd });
        }
      rows.sort((a, b) => b.value - a.value);
      bars(f, rows, {
        axis: 'USD',
        labels: 'item',
        color: '#9c755f',
        format: (v) => usd.format(v),
        empty: 'No cost lines with a USD amount.',
      });
    },
  };

  const failures = [];
  for (const figure of document.querySelectorAll('figure[data-chart]')) {
    const draw = charts[figure.dataset.chart];
    try {
      if (data === null) throw new Error('report data missing');
      if (draw === undefined) throw new Error(`unknown chart ${figure.dataset.chart}`);
      draw(figure);
      figure.dataset.marks = String(figure.querySelectorAll('.mark').length);
    } catch (error) {
      failures.push(figure.dataset.chart);
      figure.dataset.error = 'true';
      console.error(`chart ${figure.dataset.chart} failed:`, error);
    }
  }
  if (failures.length > 0) document.documentElement.dataset.chartErrors = failures.join(' ');
  document.documentElement.dataset.chartsReady = 'true';
})();
