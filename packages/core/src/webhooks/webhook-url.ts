/**
 * True when the URL text names no host after the scheme (`http:///h`, `http:h`): the WHATWG parser
 * would quietly take the path as the host (`http://h/`), which is not what was written. (Its own
 * module, free of Node imports: `webhook-types.ts` is also read, for types, by the dashboard app.)
 */
export function hasEmptyAuthority(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\/[^/\\?#]/i.test(url.trim());
}
