import { describeOptions, type Plugin } from '../../common/plugin.js';

/** A registry's built-ins with what they read and every option: type, default, one-line doc. */
export function listPlugins(plugins: readonly Plugin[]): string {
  return plugins
    .map((p) => {
      const reads = [...p.needs, ...(p.needsAny?.length ? [`whichever of ${p.needsAny.join(', ')} are present, at least one`] : []), ...(p.uses ?? []).map((u) => `${u} if present`)];
      const head = `${p.name}  (reads ${reads.join(', ') || 'whatever it is given'})\n  ${p.description}\n`;
      const options = describeOptions(p.options).map((o) => {
        const def = o.default === undefined ? '' : ` = ${JSON.stringify(o.default)}`;
        const alias = Object.entries(p.optionAliases ?? {}).filter(([, to]) => to === o.key).map(([from]) => from);
        return `    ${o.key}${alias.length ? ` (also ${alias.join(', ')})` : ''}: ${o.type}${def}  ${o.doc}\n`;
      });
      return head + options.join('');
    })
    .join('\n');
}

export type BuiltinKind = 'detectors' | 'rcaMethods';

/** The built-in listings, rendered live from the registries. */
export async function renderBuiltinListings(): Promise<Record<BuiltinKind, string>> {
  const [{ listDetectors }, { listRcaAlgorithms }] = await Promise.all([import('../../detectors/registry.js'), import('../../rca/registry.js')]);
  return { detectors: listPlugins(listDetectors()), rcaMethods: listPlugins(listRcaAlgorithms()) };
}

// The bundled CLI carries the listings rendered at build time (scripts/bundle-cli.ts), so listing
// the built-ins loads no plugin code and no zod (a JSON string: esbuild inlines strings where it
// would wrap an object in a module of its own); elsewhere the name is undefined.
declare const FAULTLINE_BUILTIN_LISTINGS: string | undefined;

/** One built-in listing: the bundle's, else rendered from the registry. */
export async function builtinListing(kind: BuiltinKind): Promise<string> {
  const listings = typeof FAULTLINE_BUILTIN_LISTINGS !== 'undefined' ? (JSON.parse(FAULTLINE_BUILTIN_LISTINGS) as Record<BuiltinKind, string>) : await renderBuiltinListings();
  return listings[kind];
}
