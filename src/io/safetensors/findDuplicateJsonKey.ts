/**
 * Returns the first key that occurs twice in the same object of `json`, or undefined. `JSON.parse` keeps the
 * last duplicate silently, so a header could otherwise say two different things about one tensor and we
 * would never know. `json` must already be valid JSON (run `JSON.parse` first): this scanner only tracks
 * nesting and strings, it does not validate.
 */
export function findDuplicateJsonKey(json: string): string | undefined {
  // One frame per open container: the keys seen so far (null for arrays) and whether a key comes next.
  const frames: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') frames.push({ keys: new Set(), expectKey: true });
    else if (c === '[') frames.push({ keys: null, expectKey: false });
    else if (c === '}' || c === ']') frames.pop();
    else if (c === ',') {
      const top = frames[frames.length - 1];
      if (top.keys) top.expectKey = true;
    } else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const top = frames[frames.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}
