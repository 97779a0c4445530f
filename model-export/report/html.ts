/** The self-contained report page: inline SVGs, tables and text; no scripts, no external files. */

export interface ReportSection {
  title: string;
  /** Paragraphs of plain text (escaped). */
  text?: string[];
  /** A table as header + rows of plain text cells (escaped). */
  table?: { header: string[]; rows: string[][] };
  /** SVG documents to inline (trusted: produced by vega). */
  figures?: Array<{ svg: string; caption: string }>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function reportHtml(title: string, intro: string, sections: ReportSection[]): string {
  const body = sections
    .map((s) => {
      const parts = [`<h2>${escape(s.title)}</h2>`];
      for (const p of s.text ?? []) parts.push(`<p>${escape(p)}</p>`);
      if (s.table) {
        parts.push(
          `<table><thead><tr>${s.table.header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>` +
            s.table.rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('') +
            `</tbody></table>`,
        );
      }
      for (const f of s.figures ?? []) parts.push(`<figure>${f.svg}<figcaption>${escape(f.caption)}</figcaption></figure>`);
      return `<section>${parts.join('\n')}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}figure{margin:1.5rem 0}figcaption{color:#555;font-size:.9rem}
</style></head>
<body><h1>${escape(title)}</h1><p>${escape(intro)}</p>
${body}
</body></html>
`;
}
