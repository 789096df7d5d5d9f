/**
 * One page of a keyset list that read `limit + 1` rows: the first `limit` rows mapped, and when
 * there was one more, `hasMore` with the last mapped item's id as the cursor of the next page.
 */
export function keysetPage<Row, T extends { id: string }>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): { data: T[]; cursor: string | null; hasMore: boolean } {
  const hasMore = rows.length > limit;
  const data = (hasMore ? rows.slice(0, limit) : rows).map(map);
  return { data, cursor: hasMore ? data[data.length - 1]!.id : null, hasMore };
}
