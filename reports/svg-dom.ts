/**
 * The few DOM operations Observable Plot (and the d3 code under it) performs to build a static chart,
 * and their HTML serialisation (`outerHTML`, as jsdom gives it through parse5): elements, text nodes,
 * attributes, inline style and simple selectors. Plot needs a `document` to render server-side, and
 * jsdom, a whole browser model, costs a report about 0.5 s and 90 MB to load for this. Checked
 * against jsdom chart by chart in tests/reports/svg-dom.test.ts; what Plot's static charts do not use
 * (events, layout, parsing HTML) is not here and fails loudly if asked for.
 */

const HTML_NS = 'http://www.w3.org/1999/xhtml';

/** HTML elements serialised without an end tag. */
const VOID = new Set(['area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'frame', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** HTML elements whose text is serialised as is. */
const RAW_TEXT = new Set(['style', 'script', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\u00a0': '&nbsp;', '"': '&quot;' };
const escapeText = (s: string) => s.replace(/[&<>\u00a0]/g, (c) => TEXT_ESCAPES[c]!);
const escapeAttribute = (s: string) => s.replace(/["&<>\u00a0]/g, (c) => TEXT_ESCAPES[c]!);

const DOCUMENT_POSITION_PRECEDING = 2;
const DOCUMENT_POSITION_FOLLOWING = 4;

abstract class SvgNode {
  parentNode: SvgElement | null = null;
  abstract readonly nodeType: number;
  constructor(readonly ownerDocument: SvgDocument) {}

  get nextSibling(): SvgNode | null {
    const siblings = this.parentNode?.childNodes;
    return siblings ? (siblings[siblings.indexOf(this) + 1] ?? null) : null;
  }

  get previousSibling(): SvgNode | null {
    const siblings = this.parentNode?.childNodes;
    return siblings ? (siblings[siblings.indexOf(this) - 1] ?? null) : null;
  }

  /** A detached tree is never in a document. */
  get isConnected(): boolean {
    return false;
  }

  abstract get textContent(): string;

  remove(): void {
    this.parentNode?.removeChild(this);
  }

  replaceWith(node: SvgNode): void {
    const parent = this.parentNode;
    if (!parent) return;
    parent.insertBefore(node, this);
    parent.removeChild(this);
  }

  /** Where `other` lies in tree order relative to this node (following or preceding). */
  compareDocumentPosition(other: SvgNode): number {
    const path = (n: SvgNode) => {
      const p: SvgNode[] = [];
      for (let x: SvgNode | null = n; x; x = x.parentNode) p.unshift(x);
      return p;
    };
    const a = path(this);
    const b = path(other);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    if (k === b.length) return DOCUMENT_POSITION_PRECEDING; // other is this node or an ancestor
    if (k === a.length) return DOCUMENT_POSITION_FOLLOWING; // other is a descendant
    const siblings = (a[k]!.parentNode ?? a[k - 1]) as SvgElement | undefined;
    if (!siblings || k === 0) throw new Error('svg-dom: nodes in different trees');
    return siblings.childNodes.indexOf(a[k]!) < siblings.childNodes.indexOf(b[k]!) ? DOCUMENT_POSITION_FOLLOWING : DOCUMENT_POSITION_PRECEDING;
  }

  abstract serialize(): string;
}

class SvgText extends SvgNode {
  readonly nodeType = 3;
  constructor(
    doc: SvgDocument,
    public data: string,
  ) {
    super(doc);
  }

  get textContent(): string {
    return this.data;
  }

  set textContent(value: string) {
    this.data = value;
  }

  serialize(): string {
    const p = this.parentNode;
    return p && p.namespaceURI === HTML_NS && RAW_TEXT.has(p.localName) ? this.data : escapeText(this.data);
  }
}

interface Attribute {
  namespace: string | null;
  /** The qualified name, as set. */
  name: string;
  value: string;
}

/** Inline style: properties in the order first set, written back to the `style` attribute on each change. */
class StyleDeclaration {
  private readonly props = new Map<string, { value: string; priority: string }>();
  constructor(private readonly element: SvgElement) {}

  setProperty(name: string, value: unknown, priority = ''): void {
    if (value === null || value === '') {
      this.removeProperty(name);
      return;
    }
    this.props.set(name, { value: String(value), priority });
    this.write();
  }

  removeProperty(name: string): string {
    const old = this.getPropertyValue(name);
    if (this.props.delete(name)) this.write();
    return old;
  }

  getPropertyValue(name: string): string {
    return this.props.get(name)?.value ?? '';
  }

  private write(): void {
    const text = [...this.props].map(([k, { value, priority }]) => `${k}: ${value}${priority ? ` !${priority}` : ''};`).join(' ');
    this.element.setAttribute('style', text);
  }
}

/** camelCase property assignment (`style.maxWidth = ...`) as setProperty on its hyphenated name. */
function styleProxy(element: SvgElement): StyleDeclaration {
  return new Proxy(new StyleDeclaration(element), {
    set(target, key, value) {
      if (typeof key !== 'string') return false;
      target.setProperty(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value);
      return true;
    },
  });
}

class SvgElement extends SvgNode {
  readonly nodeType = 1;
  readonly childNodes: SvgNode[] = [];
  private readonly attrs: Attribute[] = [];
  private styleDecl: StyleDeclaration | undefined;

  constructor(
    doc: SvgDocument,
    readonly namespaceURI: string,
    /** The qualified name, as created. */
    readonly localName: string,
  ) {
    super(doc);
  }

  get tagName(): string {
    return this.namespaceURI === HTML_NS ? this.localName.toUpperCase() : this.localName;
  }

  get nodeName(): string {
    return this.tagName;
  }

  get style(): StyleDeclaration {
    return (this.styleDecl ??= styleProxy(this));
  }

  get children(): SvgElement[] {
    return this.childNodes.filter((n): n is SvgElement => n instanceof SvgElement);
  }

  get firstChild(): SvgNode | null {
    return this.childNodes[0] ?? null;
  }

  get lastChild(): SvgNode | null {
    return this.childNodes[this.childNodes.length - 1] ?? null;
  }

  get textContent(): string {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(value: string | null) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes.length = 0;
    const text = value === null ? '' : String(value);
    if (text) this.appendChild(new SvgText(this.ownerDocument, text));
  }

  setAttribute(name: string, value: unknown): void {
    const a = this.attrs.find((x) => x.namespace === null && x.name === name);
    if (a) a.value = String(value);
    else this.attrs.push({ namespace: null, name, value: String(value) });
  }

  setAttributeNS(namespace: string | null, name: string, value: unknown): void {
    const a = this.attrs.find((x) => x.namespace === namespace && x.name === name);
    if (a) a.value = String(value);
    else this.attrs.push({ namespace, name, value: String(value) });
  }

  getAttribute(name: string): string | null {
    return this.attrs.find((x) => x.name === name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.attrs.some((x) => x.name === name);
  }

  removeAttribute(name: string): void {
    const k = this.attrs.findIndex((x) => x.name === name);
    if (k >= 0) this.attrs.splice(k, 1);
  }

  removeAttributeNS(namespace: string | null, name: string): void {
    const k = this.attrs.findIndex((x) => x.namespace === namespace && x.name === name);
    if (k >= 0) this.attrs.splice(k, 1);
  }

  get className(): string {
    return this.getAttribute('class') ?? '';
  }

  set className(value: string) {
    this.setAttribute('class', value);
  }

  /** Nodes, or strings as text nodes, at the end. */
  append(...nodes: (SvgNode | string)[]): void {
    for (const n of nodes) this.appendChild(typeof n === 'string' ? new SvgText(this.ownerDocument, n) : n);
  }

  appendChild<T extends SvgNode>(child: T): T {
    return this.insertBefore(child, null);
  }

  insertBefore<T extends SvgNode>(child: T, ref: SvgNode | null): T {
    child.parentNode?.removeChild(child);
    const at = ref ? this.childNodes.indexOf(ref) : -1;
    if (ref && at < 0) throw new Error('svg-dom: insertBefore: the reference node is not a child');
    if (at < 0) this.childNodes.push(child);
    else this.childNodes.splice(at, 0, child);
    child.parentNode = this;
    return child;
  }

  removeChild<T extends SvgNode>(child: T): T {
    const k = this.childNodes.indexOf(child);
    if (k < 0) throw new Error('svg-dom: removeChild: not a child');
    this.childNodes.splice(k, 1);
    child.parentNode = null;
    return child;
  }

  contains(other: SvgNode | null): boolean {
    for (let x = other; x; x = x.parentNode) if (x === this) return true;
    return false;
  }

  cloneNode(deep = false): SvgElement {
    const copy = new SvgElement(this.ownerDocument, this.namespaceURI, this.localName);
    for (const a of this.attrs) copy.attrs.push({ ...a });
    if (deep) for (const c of this.childNodes) copy.appendChild(c instanceof SvgElement ? c.cloneNode(true) : new SvgText(this.ownerDocument, c.textContent));
    return copy;
  }

  matches(selector: string): boolean {
    return parseSelector(selector).some((s) => matchesChain(this, s));
  }

  querySelector(selector: string): SvgElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }

  querySelectorAll(selector: string): SvgElement[] {
    const chains = parseSelector(selector);
    const out: SvgElement[] = [];
    const visit = (e: SvgElement) => {
      for (const c of e.childNodes) {
        if (!(c instanceof SvgElement)) continue;
        if (chains.some((s) => matchesChain(c, s, this))) out.push(c);
        visit(c);
      }
    };
    visit(this);
    return out;
  }

  get outerHTML(): string {
    return this.serialize();
  }

  get innerHTML(): string {
    return this.childNodes.map((n) => n.serialize()).join('');
  }

  serialize(): string {
    let html = `<${this.localName}`;
    // jsdom hands parse5 qualified names, written as they are.
    for (const a of this.attrs) html += ` ${a.name}="${escapeAttribute(a.value)}"`;
    html += '>';
    if (this.namespaceURI === HTML_NS && VOID.has(this.localName)) return html;
    for (const c of this.childNodes) html += c.serialize();
    return `${html}</${this.localName}>`;
  }
}

/** A compound selector: a tag (undefined for any: `*` or none given) and classes. */
interface Compound {
  tag: string | undefined;
  classes: string[];
}

const COMPOUND = /^(\*|[a-zA-Z][\w-]*)?((?:\.[\w-]+)*)$/;

/** Selectors of tags and classes joined by descendant combinators, comma-separated; anything else is refused. */
function parseSelector(selector: string): Compound[][] {
  return selector.split(',').map((part) =>
    part
      .trim()
      .split(/\s+/)
      .map((token) => {
        const m = COMPOUND.exec(token);
        if (!m || token === '') throw new Error(`svg-dom: unsupported selector '${selector}'`);
        return { tag: m[1] === '*' ? undefined : m[1], classes: m[2] ? m[2].slice(1).split('.') : [] };
      }),
  );
}

function matchesCompound(e: SvgElement, c: Compound): boolean {
  if (c.tag !== undefined && c.tag.toLowerCase() !== e.localName.toLowerCase()) return false;
  if (!c.classes.length) return true;
  const classes = (e.getAttribute('class') ?? '').split(/\s+/);
  return c.classes.every((k) => classes.includes(k));
}

/** Whether `e` matches the chain's last compound with each earlier one matched by an ancestor (below `scope` when given). */
function matchesChain(e: SvgElement, chain: Compound[], scope?: SvgElement): boolean {
  if (!matchesCompound(e, chain[chain.length - 1]!)) return false;
  let k = chain.length - 2;
  for (let a = e.parentNode; a && a !== scope && k >= 0; a = a.parentNode) if (matchesCompound(a, chain[k]!)) k--;
  return k < 0;
}

/** A document to hand Plot (`Plot.plot({ document })`); charts are read back with `outerHTML`. */
export class SvgDocument {
  readonly documentElement: SvgElement;
  constructor() {
    this.documentElement = new SvgElement(this, HTML_NS, 'html');
  }

  createElement(name: string): SvgElement {
    return new SvgElement(this, HTML_NS, name.toLowerCase());
  }

  createElementNS(namespace: string | null, name: string): SvgElement {
    return new SvgElement(this, namespace ?? HTML_NS, name);
  }

  createTextNode(data: string): SvgText {
    return new SvgText(this, String(data));
  }
}
