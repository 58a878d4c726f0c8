import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, lineChart, meters, niceStep, usd } from '#shared/reports/charts.ts';
import { csvField } from '#shared/reports/render.ts';
import { representationOf } from '#functions/api/reports.ts';

describe('CSV fields', () => {
  it('are quoted as RFC 4180 says, and text a spreadsheet would run as a formula is made inert', () => {
    expect(csvField('web')).toBe('web');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(null)).toBe('');
  });
});

describe('the charts', () => {
  it('escape every text they draw', () => {
    const svg = barChart([{ label: '<script>alert(1)</script>', value: 2, note: 'a & b' }], { title: 'x "y"' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('aria-label="x &quot;y&quot;"');
    expect(escapeXml(`'&`)).toBe('&#39;&amp;');
  });

  it('draw a point per day on a line, its period shaded, on round ticks', () => {
    const svg = lineChart(
      [{ label: '1 Mar', value: 1 }, { label: '2 Mar', value: 3.2, highlight: true }],
      { title: 't' },
    );
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg.match(/class="band"/g)).toHaveLength(1);
    expect(svg).toContain('$3.20');
    expect(niceStep(3.2)).toBe(1);
    expect(niceStep(17)).toBe(5);
    expect(niceStep(0)).toBe(1);
  });

  it('label two months of days on every few points, none written into the next', () => {
    const days = Array.from({ length: 61 }, (_, i) => ({ label: `${(i % 30) + 1} Nov`, value: i, highlight: i >= 30 }));
    const svg = lineChart(days, { title: 't' });
    const labels = [...svg.matchAll(/<text class="axis" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">[^<]*Nov<\/text>/g)].map((m) => ({ x: Number(m[1]), anchor: m[2] }));
    expect(labels.length).toBeGreaterThan(8);
    expect(labels.length).toBeLessThanOrEqual(15);
    expect(labels.at(-1)!.anchor).toBe('end');
    // About 40 px a label: centred ones need that much between them, the last (ending at its point) that much before it.
    for (let i = 1; i < labels.length; i++) expect(labels[i]!.x - labels[i - 1]!.x, `label ${i}`).toBeGreaterThanOrEqual(labels[i]!.anchor === 'end' ? 60 : 40);
    expect(svg.match(/<circle/g)).toHaveLength(61);
  });

  it('mark a meter past its limit as over quota in words, not only in colour', () => {
    const svg = meters([{ label: 'CPU', percent: 150, text: '6 of 4 cores' }, { label: 'memory', percent: 25, text: '1 of 4 GiB' }], { title: 'q' });
    expect(svg).toContain('6 of 4 cores (150 %) over quota');
    expect(svg).toContain('class="fill over"');
    expect(svg).toContain('class="fill ok"');
  });

  it('write money as people read it', () => {
    expect(usd(1234.5)).toBe('$1,234.50');
    expect(usd(0.0042)).toBe('$0.0042');
    expect(usd(-2)).toBe('−$2.00');
  });
});

describe('the representation of a report', () => {
  it('follows the Accept header: CSV or HTML when asked before JSON, JSON otherwise', () => {
    expect(representationOf(undefined)).toBe('json');
    expect(representationOf('text/csv')).toBe('csv');
    expect(representationOf('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe('html');
    expect(representationOf('application/json, text/csv')).toBe('json');
    expect(representationOf('text/csv;q=0.5, text/html;q=0.9')).toBe('html');
    expect(representationOf('text/html;q=0, text/csv')).toBe('csv');
    expect(representationOf('image/png')).toBe('json');
  });
});
