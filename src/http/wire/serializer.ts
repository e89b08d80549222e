/**
 * The response serialiser: encodes with the route's zod schema like fastify-type-provider-zod's,
 * and also refuses a body from which the schema would silently drop a key (a plain `z.object`
 * strips unknown keys). A handler returning a field its schema lacks is a bug: it answers 500
 * (logged with the field's path) instead of the field vanishing or leaking undocumented.
 */
import { $ZodType } from 'zod/v4/core';
import { z } from 'zod';
import { ResponseSerializationError } from 'fastify-type-provider-zod';

function resolve(schema: unknown): z.ZodType {
  if (schema instanceof $ZodType) return schema as z.ZodType;
  const props = (schema as { properties?: unknown } | null)?.properties;
  if (props instanceof $ZodType) return props as z.ZodType;
  throw new Error(`response schema is not a zod schema: ${JSON.stringify(schema)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Paths of keys present (not undefined) in `input` and absent from the encoded `output`. */
export function droppedKeys(input: unknown, output: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (Array.isArray(input) && Array.isArray(output)) {
    return input.flatMap((x, i) => droppedKeys(x, output[i], [...path, i]));
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  return Object.entries(input).flatMap(([k, v]) => {
    if (v === undefined) return [];
    if (!(k in output)) return [[...path, k]];
    return droppedKeys(v, output[k], [...path, k]);
  });
}

export function strictSerializerCompiler(route: { schema: unknown; method: string; url: string }) {
  const schema = resolve(route.schema);
  return (data: unknown): string => {
    const result = z.safeEncode(schema, data);
    if (!result.success) throw new ResponseSerializationError(route.method, route.url, { cause: result.error });
    const dropped = droppedKeys(data, result.data);
    if (dropped.length > 0) {
      const issues = dropped.map((p) => ({
        code: 'custom' as const,
        path: p,
        message: 'field not in the response schema',
        input: undefined,
      }));
      throw new ResponseSerializationError(route.method, route.url, { cause: new z.ZodError(issues) });
    }
    return JSON.stringify(result.data);
  };
}
