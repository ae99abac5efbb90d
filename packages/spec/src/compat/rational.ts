/**
 * Exact rational arithmetic for `multipleOf`.
 *
 * A JSON number means the decimal it is written as, so a double is read as the exact value of its
 * shortest round-trip decimal (`0.1` is 1/10, not 0.1000000000000000055…). That is the semantics
 * zod's runtime check approximates and the one JSON Schema's own test suite uses (0.0075 is a
 * multiple of 0.0001). IEEE-754 validators such as ajv can disagree on non-dyadic fractions; the
 * concrete validator reports `unknown` there instead of picking a side.
 */

/** n/d in lowest terms with d > 0. */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function make(n: bigint, d: bigint): Rational {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

/** The exact value of the shortest decimal that round-trips to `x` (finite `x` only). */
export function toRational(x: number): Rational {
  if (Number.isSafeInteger(x)) return { n: BigInt(x), d: 1n };
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (m === null) throw new RangeError(`not a finite number: ${x}`);
  const frac = m[3] ?? "";
  let n = BigInt(`${m[2] ?? "0"}${frac}`);
  if (m[1] === "-") n = -n;
  const exp = Number(m[4] ?? "0") - frac.length;
  return exp >= 0 ? make(n * 10n ** BigInt(exp), 1n) : make(n, 10n ** BigInt(-exp));
}

export function mul(a: Rational, b: Rational): Rational {
  return make(a.n * b.n, a.d * b.d);
}

export function div(a: Rational, b: Rational): Rational {
  return make(a.n * b.d, a.d * b.n);
}

/** Least common multiple of two positive rationals: lcm(numerators) / gcd(denominators). */
export function lcm(a: Rational, b: Rational): Rational {
  const n = (a.n / gcd(a.n, b.n)) * b.n;
  return make(n, gcd(a.d, b.d));
}

export function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return (n % d !== 0n && (n < 0n) !== (d < 0n)) ? q - 1n : q;
}

export function ceilDiv(n: bigint, d: bigint): bigint {
  return -floorDiv(-n, d);
}

/** `x` is a multiple of `m` (> 0) under exact decimal semantics. */
export function isMultipleOf(x: number, m: number): boolean {
  if (Number.isSafeInteger(x) && Number.isSafeInteger(m)) return x % m === 0;
  if (!Number.isFinite(x)) return false;
  return div(toRational(x), toRational(m)).d === 1n;
}

/** What a validator dividing in IEEE-754 doubles answers (ajv's default rule). */
export function isMultipleOfIeee(x: number, m: number): boolean {
  const q = x / m;
  return q === Number.parseInt(String(q), 10);
}

/** The double whose shortest decimal is exactly `r`, or null when there is none. */
export function toNumber(r: Rational): number | null {
  let d = r.d;
  let scale = 0;
  let n = r.n;
  // Only denominators of the form 2^a·5^b have a finite decimal expansion.
  while (d % 10n === 0n) [d, scale] = [d / 10n, scale + 1];
  while (d % 2n === 0n) [d, n, scale] = [d / 2n, n * 5n, scale + 1];
  while (d % 5n === 0n) [d, n, scale] = [d / 5n, n * 2n, scale + 1];
  if (d !== 1n) return null;
  const x = Number(scale === 0 ? `${n}` : `${n}e-${scale}`);
  if (!Number.isFinite(x)) return null;
  const back = toRational(x);
  return back.n === r.n && back.d === r.d ? x : null;
}
