import { JSDOM } from 'jsdom';
import { describe, expect, it, vi } from 'vitest';
import { SvgDocument } from '../../reports/svg-dom.js';
import { findings } from '../../reports/findings.js';
import { sortItems, summarize } from '../../reports/summarize.js';
import type { ItemResult } from '../../scores/item-result.js';
import { HOSTILE, sampleResults } from './fixtures.js';

/**
 * Plot numbers its marker, clip and pattern ids from counters that live as long as the process:
 * renumbered from 1 in order of appearance, two renderings in one process compare.
 */
function renumbered(html: string): string {
  const ids = new Map<string, number>();
  return html.replace(/plot-(marker|clip|pattern)-\d+/g, (id, kind: string) => {
    if (!ids.has(id)) ids.set(id, ids.size + 1);
    return `plot-${kind}-${ids.get(id)}`;
  });
}

/** The whole report (every kind of chart) rendered with the charts module as it is, or with jsdom as Plot's document. */
async function report(items: ItemResult[], withJsdom: boolean): Promise<string> {
  vi.resetModules();
  if (withJsdom) {
    vi.doMock('../../reports/svg-dom.js', () => ({
      SvgDocument: class {
        constructor() {
          return new JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;
        }
      },
    }));
  }
  const { renderReport } = await import('../../reports/html.js');
  vi.doUnmock('../../reports/svg-dom.js');
  const sorted = sortItems(items);
  const summary = summarize(sorted, { gate: { best: 0.5 } });
  return renumbered(renderReport(summary, sorted, findings(summary, sorted)));
}

describe('svg-dom renders Plot charts as jsdom does', () => {
  it('the same report.html, byte for byte, for every chart of the sample runs', async () => {
    const mine = await report(sampleResults(), false);
    const oracle = await report(sampleResults(), true);
    expect(mine).toContain('<svg');
    expect(mine.match(/<svg/g)!.length).toBeGreaterThan(8);
    expect(mine).toBe(oracle);
  });

  it('the same with one item and one method (the legends and empty charts of a small run)', async () => {
    const one = sampleResults().slice(0, 1).map((r) => ({ ...r, rca: r.rca.slice(0, 1), detectors: r.detectors.slice(0, 1) }));
    expect(await report(one, false)).toBe(await report(one, true));
  });
});

describe('svg-dom', () => {
  const doc = new SvgDocument();

  it('escapes text and attribute values as the HTML serialisation does; style text is raw', () => {
    // The same tree in both DOMs: escaped attribute and text, raw HTML style text, SVG style, a void element.
    const build = (d: Pick<Document, 'createElement' | 'createElementNS'>) => {
      const div = d.createElement('DIV');
      div.setAttribute('title', `a "b" & <c>\u00a0${HOSTILE}`);
      div.append(`x < y & z > w\u00a0`);
      const style = d.createElement('style');
      style.textContent = 'a > b { c: "d" }';
      div.appendChild(style);
      const svgStyle = d.createElementNS('http://www.w3.org/2000/svg', 'style');
      svgStyle.textContent = 'a > b';
      div.appendChild(svgStyle);
      div.appendChild(d.createElement('br'));
      return div;
    };
    const jsdom = new JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;
    const div = build(doc as unknown as Document);
    expect(div.outerHTML).toBe(build(jsdom).outerHTML);
    expect(div.tagName).toBe('DIV');
  });

  it('keeps attributes in the order first set, and inline style as a style attribute', () => {
    const g = doc.createElementNS('http://www.w3.org/2000/svg', 'g');
    g.setAttribute('b', 1);
    g.setAttribute('a', 2);
    g.setAttribute('b', 3);
    g.style.setProperty('font-variant', 'tabular-nums');
    (g.style as unknown as Record<string, string>).maxWidth = 'initial';
    g.style.setProperty('font-variant', null);
    expect(g.outerHTML).toBe('<g b="3" a="2" style="max-width: initial;"></g>');
    g.removeAttribute('a');
    expect(g.hasAttribute('a')).toBe(false);
    expect(g.getAttribute('b')).toBe('3');
  });

  it('finds elements by tag, class and descendant selectors, and orders nodes', () => {
    const root = doc.createElementNS('http://www.w3.org/2000/svg', 'svg');
    const tick = root.appendChild(doc.createElementNS('http://www.w3.org/2000/svg', 'g'));
    tick.setAttribute('class', 'tick major');
    const line = tick.appendChild(doc.createElementNS('http://www.w3.org/2000/svg', 'line'));
    const domain = root.insertBefore(doc.createElementNS('http://www.w3.org/2000/svg', 'path'), tick);
    domain.className = 'domain';
    expect(root.querySelector('.tick line')).toBe(line);
    expect(root.querySelector('g.major')).toBe(tick);
    expect(root.querySelector('*')).toBe(domain);
    expect(root.querySelectorAll('.domain, line')).toEqual([domain, line]);
    expect(root.querySelector('.missing')).toBeNull();
    expect(() => root.querySelector('g > line')).toThrow(/unsupported selector/);
    expect(domain.compareDocumentPosition(tick)).toBe(4);
    expect(line.compareDocumentPosition(domain)).toBe(2);
    expect(root.contains(line)).toBe(true);
    tick.replaceWith(line);
    expect(root.childNodes).toEqual([domain, line]);
    expect(domain.nextSibling).toBe(line);
    expect(line.previousSibling).toBe(domain);
    line.remove();
    expect(root.lastChild).toBe(domain);
  });
});
