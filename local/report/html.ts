/**
 * The HTML building blocks of the run report: escaping, number formatting, tables and chart figures.
 * Every string that can come from user input (campaign ids, reasons, products) goes through
 * `escapeHtml` or `t` here; `h` marks HTML the caller has already escaped.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function fmt(n: number): string {
  return numberFormat.format(n);
}

export interface Column {
  label: string;
  numeric?: boolean;
}

/** A cell: a number (formatted, right-aligned) or already-escaped HTML. */
export type Cell = number | { html: string };

export const h = (html: string): Cell => ({ html });
export const t = (text: string): Cell => ({ html: escapeHtml(text) });

function isRows(footer: Cell[] | Cell[][]): footer is Cell[][] {
  return footer.some((c) => Array.isArray(c));
}

/** A table with a caption; `footer` is one row or several (totals, group rows). */
export function table(
  caption: string,
  columns: Column[],
  rows: Cell[][],
  footer?: Cell[] | Cell[][],
): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(caption)}: none.</p>`;
  const cell = (c: Cell, tag: 'td' | 'th', numeric: boolean | undefined) => {
    const attrs = `${tag === 'th' ? ' scope="row"' : ''}${numeric || typeof c === 'number' ? ' class="num"' : ''}`;
    return `<${tag}${attrs}>${typeof c === 'number' ? fmt(c) : c.html}</${tag}>`;
  };
  const head = columns
    .map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.label)}</th>`)
    .join('');
  const row = (r: Cell[]) =>
    `<tr>${r.map((c, i) => cell(c, i === 0 ? 'th' : 'td', columns[i]?.numeric)).join('')}</tr>`;
  const body = rows.map(row).join('\n');
  const footRows = footer === undefined ? [] : isRows(footer) ? footer : [footer];
  const foot = footRows.length === 0 ? '' : `<tfoot>${footRows.map(row).join('\n')}</tfoot>`;
  return `<div class="table-wrap"><table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>${foot}
</table></div>`;
}

export function figure(chart: string, title: string, description: string): string {
  return `<figure data-chart="${escapeHtml(chart)}">
<figcaption><strong>${escapeHtml(title)}</strong> <span>${escapeHtml(description)}</span></figcaption>
<div class="plot"></div>
<noscript><p class="empty">Charts need JavaScript; the table below has the numbers.</p></noscript>
</figure>`;
}

export function details(summary: string, content: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n${content}\n</details>`;
}
