/**
 * A deterministic synthetic corpus of order records, generated as a stream (never one big
 * string): the same seed and size give the same bytes, on every machine. Planted in it: one
 * incident report, and complaints whose reasons the questions ask about.
 *
 *   ORD-00000042 2024-03-05 region=north status=shipped product=widget-7 qty=12 note="..."
 */

const REGIONS = ["north", "south", "east", "west"] as const;
const PRODUCTS = Array.from({ length: 12 }, (_, i) => `widget-${i + 1}`);
const STATUSES = ["shipped", "shipped", "shipped", "delivered", "delivered", "returned", "complaint"] as const;
const REASONS = ["late delivery", "damaged box", "wrong colour", "missing manual", "late delivery", "damaged box", "late delivery"] as const;
const WORDS = "fast slow good poor box tape label courier weekend morning invoice receipt blue green spare part retail bulk gift".split(" ");

/** The incident planted once in every corpus, at 61.8% of its length. */
export const INCIDENT = { id: "INCIDENT-4471", rootCause: "expired TLS certificate on gateway-3" } as const;

/** A small, fast, seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The corpus, about `bytes` long, as chunks of about 256 KiB of UTF-8. */
export async function* generateCorpus(bytes: number, seed = 16): AsyncGenerator<Uint8Array> {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const encoder = new TextEncoder();
  const incidentAt = Math.floor(bytes * 0.618);
  let written = 0;
  let planted = false;
  let order = 0;
  while (written < bytes) {
    let chunk = "";
    while (chunk.length < 256 * 1024 && written + chunk.length < bytes) {
      if (!planted && written + chunk.length >= incidentAt) {
        chunk += `${INCIDENT.id} 2024-06-30 severity=high root-cause="${INCIDENT.rootCause}" owner=ops\n`;
        planted = true;
        continue;
      }
      order++;
      const status = pick(STATUSES);
      const day = 1 + Math.floor(next() * 28);
      const month = 1 + Math.floor(next() * 12);
      const note = status === "complaint" ? `reason=${pick(REASONS)}` : `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`;
      chunk += `ORD-${String(order).padStart(8, "0")} 2024-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")} region=${pick(REGIONS)} status=${status} product=${pick(PRODUCTS)} qty=${1 + Math.floor(next() * 40)} note="${note}"\n`;
    }
    const encoded = encoder.encode(chunk);
    written += encoded.length;
    yield encoded;
  }
}

/** The whole corpus as one string: for tests and for the inlined comparison only. */
export async function corpusText(bytes: number, seed = 16): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of generateCorpus(bytes, seed)) text += decoder.decode(chunk);
  return text;
}
