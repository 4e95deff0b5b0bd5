const react18 = new URL('../react18/package.json', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (/^react(-dom)?(\/|$)/.test(specifier)) return next(specifier, { ...context, parentURL: react18 });
  return next(specifier, context);
}
