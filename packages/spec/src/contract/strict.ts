import { z } from "zod";

type AnyZod = z.ZodType;

interface Def {
  type: string;
  shape?: Record<string, AnyZod>;
  catchall?: AnyZod;
  element?: AnyZod;
  innerType?: AnyZod;
  options?: AnyZod[];
  valueType?: AnyZod;
  items?: AnyZod[];
  rest?: AnyZod | null;
}

type Cloneable = AnyZod & { clone(def: Def): AnyZod; _zod: { def: Def } };

const cache = new WeakMap<AnyZod, AnyZod>();
/** The catchall of a strict object: no other key is allowed. */
const NEVER: AnyZod = z.never();

/**
 * A copy of `schema` in which every object that would silently drop unknown keys rejects them
 * instead. Outputs are parsed with it: a field the contract does not declare is a contract
 * violation, not something to discard. Objects that allow extra keys (`z.looseObject`, a
 * `catchall`) keep allowing them. Refinements and defaults are kept (the schemas are cloned with
 * their definitions). Intersections, pipes and lazy schemas are left as they are: making their
 * parts strict would change what they accept.
 */
export function deepStrict<T extends AnyZod>(schema: T): T {
  const done = cache.get(schema);
  if (done) return done as T;
  const strict = strictOf(schema as unknown as Cloneable);
  cache.set(schema, strict);
  return strict as T;
}

function strictOf(schema: Cloneable): AnyZod {
  const def = schema._zod.def;
  switch (def.type) {
    case "object": {
      const shape: Record<string, AnyZod> = {};
      for (const [key, value] of Object.entries(def.shape ?? {})) shape[key] = deepStrict(value);
      return schema.clone({ ...def, shape, catchall: def.catchall ?? NEVER });
    }
    case "array":
      return schema.clone({ ...def, element: deepStrict(def.element as AnyZod) });
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      return schema.clone({ ...def, innerType: deepStrict(def.innerType as AnyZod) });
    case "union":
      return schema.clone({ ...def, options: (def.options ?? []).map((o) => deepStrict(o)) });
    case "record":
      return schema.clone({ ...def, valueType: deepStrict(def.valueType as AnyZod) });
    case "tuple":
      return schema.clone({ ...def, items: (def.items ?? []).map((i) => deepStrict(i)), rest: def.rest ? deepStrict(def.rest) : (def.rest ?? null) });
    default:
      return schema;
  }
}
