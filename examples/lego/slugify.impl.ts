import type { Input, Output } from "./slugify.contract.js";

/**
 * Runs of anything but ASCII letters and digits become one dash (before lowercasing: "İ".toLowerCase()
 * is two characters), no dash at either end.
 */
export default function run(input: Input): Output {
  const slug = input.title
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
  return { slug };
}
