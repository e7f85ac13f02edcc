/**
 * How deeply a JSON text nests, found by a scan that needs no parse. JSON.parse copes with any depth, but what
 * walks the result afterwards (JSON.stringify in an error message, a recursive check) overflows the call stack on
 * a file nested 100,000 levels; checking the depth first lets a reader refuse such a file by name.
 */

/** The deepest nesting of objects and arrays in `json` (0 for a scalar); strings are skipped, escapes included. */
export function jsonNestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth); // { [
    else if (c === 0x7d || c === 0x5d) depth--; // } ]
    else if (c === 0x22) { // "
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c) i++;
    }
  }
  return deepest;
}

/** Refuses `json` nested deeper than `limit`, naming `where` and the limit. */
export function checkJsonNesting(json: string, limit: number, where: string): void {
  const depth = jsonNestingDepth(json);
  if (depth > limit) throw new Error(`${where}: the JSON nests ${depth} levels deep, more than the ${limit} this file can have`);
}
