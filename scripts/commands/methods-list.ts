import { describeOptions, type Plugin } from '../../common/plugin.js';

/** A registry's built-ins with what they read and every option: type, default, one-line doc. */
export function listPlugins(plugins: readonly Plugin[]): string {
  return plugins
    .map((p) => {
      const head = `${p.name}  (reads ${[...p.needs, ...(p.uses ?? []).map((u) => `${u} if present`)].join(', ') || 'whatever it is given'})\n  ${p.description}\n`;
      const options = describeOptions(p.options).map((o) => {
        const def = o.default === undefined ? '' : ` = ${JSON.stringify(o.default)}`;
        const alias = Object.entries(p.optionAliases ?? {}).filter(([, to]) => to === o.key).map(([from]) => from);
        return `    ${o.key}${alias.length ? ` (also ${alias.join(', ')})` : ''}: ${o.type}${def}  ${o.doc}\n`;
      });
      return head + options.join('');
    })
    .join('\n');
}
