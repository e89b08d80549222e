/** The app's own route table, so access tests cover every route, including ones added later. */

export interface RouteEntry {
  method: string;
  url: string;
}

/** method + full path of every route, parsed from printRoutes({ commonPrefix: false }) (the router's tree). */
export function routeTable(printed: string): RouteEntry[] {
  const out: RouteEntry[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.round([...(m[1] ?? '')].length / 4);
    stack.length = depth;
    const url = (depth === 0 ? '' : (stack[depth - 1] ?? '')) + (m[2] ?? '');
    stack[depth] = url;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) out.push({ method, url });
  }
  return out;
}

/** A concrete URL for a route pattern: parameters and wildcards filled with harmless values. */
export function concreteUrl(pattern: string): string {
  return pattern
    .replace(/:file\b/g, 'main.js')
    .replace(/:runId\b/g, 'no-such-run')
    .replace(/:[A-Za-z_]+/g, 'act_does_not_exist')
    .replace(/\*$/, 'nothing-here');
}
