import { ApiError, isMissingRoute } from './api.js';
import { fill, h } from './dom.js';

/** One part of the page that can reload itself. */
export interface Section {
  readonly name: SectionName;
  refresh(): Promise<void>;
}

export type SectionName = 'stats' | 'approvals' | 'alerts' | 'timeline' | 'deployments' | 'health';

/** What sections may ask of the page. */
export interface PageContext {
  /** A read or a button got 401: show the token field. */
  authNeeded(): void;
  /** Reload other sections now (e.g. after pressing Approve). */
  refresh(...names: SectionName[]): void;
}

/**
 * Renders only when the data changed, so a refetch triggered by an unrelated event neither
 * flickers nor closes an open <details> or moves keyboard focus.
 */
export class ChangeGate {
  private last = '';
  changed(data: unknown): boolean {
    const s = JSON.stringify(data);
    if (s === this.last) return false;
    this.last = s;
    return true;
  }
  reset(): void {
    this.last = '';
  }
}

/** Shows why a section could not load, in words an operator can act on. */
export function showError(container: Element, err: unknown, ctx: PageContext, what: string): void {
  if (err instanceof ApiError && err.status === 401) {
    ctx.authNeeded();
    fill(container, h('p', { class: 'empty warn-text' }, `Enter the API token above to see ${what}.`));
    return;
  }
  if (isMissingRoute(err)) {
    fill(container, h('p', { class: 'empty' }, `${what}: not available on this server version.`));
    return;
  }
  const msg = err instanceof Error ? err.message : String(err);
  fill(container, h('p', { class: 'empty bad-text', attrs: { role: 'status' } }, `Could not load ${what}: ${msg}`));
}

/** Remembers which <details> the user opened, across re-renders. */
export class OpenState {
  private readonly open = new Set<string>();
  details(key: string, summary: Node | string, body: () => Node, startOpen = false): HTMLDetailsElement {
    const d = h('details', { attrs: { 'data-key': key } }, h('summary', {}, summary));
    const isOpen = this.open.has(key) || (startOpen && !this.open.has(`closed:${key}`));
    let filled = false;
    const ensure = () => {
      if (!filled) {
        d.append(body());
        filled = true;
      }
    };
    if (isOpen) {
      d.open = true;
      ensure();
    }
    d.addEventListener('toggle', () => {
      if (d.open) {
        ensure();
        this.open.add(key);
        this.open.delete(`closed:${key}`);
      } else {
        this.open.delete(key);
        this.open.add(`closed:${key}`);
      }
    });
    return d;
  }
}
