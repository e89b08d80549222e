/**
 * One shape for expected outcomes: success is `{ ok: true, ...value }`, a refusal is
 * `{ ok: false, code, message }` — a return value, never an exception (AppError is for failures).
 */
export type Refusal<C extends string = string> = { ok: false; code: C; message: string };

export type Ok<T extends object = object> = { ok: true } & T;

export type Result<T extends object, C extends string = string> = Ok<T> | Refusal<C>;

export function ok<T extends object>(value: T): Ok<T> {
  return { ok: true, ...value };
}

export function refuse<C extends string>(code: C, message: string): Refusal<C> {
  return { ok: false, code, message };
}
