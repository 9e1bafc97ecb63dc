/**
 * Orders tables so that every table comes after the tables it depends on (parents first), keeping the given
 * order wherever the dependencies allow it, so that the file's order stays meaningful. Returns the tables of
 * a cycle instead of an order when there is one.
 */
export function dependencyOrder(
  tables: readonly string[],
  dependsOn: (table: string) => readonly string[],
): { order: string[]; cycle: null } | { order: null; cycle: string[] } {
  const placed = new Set<string>();
  const order: string[] = [];
  const waiting = [...tables];
  while (waiting.length > 0) {
    const next = waiting.findIndex((table) => dependsOn(table).every((parent) => parent === table || placed.has(parent) || !tables.includes(parent)));
    if (next < 0) return { order: null, cycle: waiting };
    const [table] = waiting.splice(next, 1);
    placed.add(table!);
    order.push(table!);
  }
  return { order, cycle: null };
}

/** Every table that depends on `table`, directly or not (children, grandchildren...). */
export function descendantsOf(table: string, parentsOf: (table: string) => readonly string[], tables: readonly string[]): Set<string> {
  const found = new Set<string>();
  let frontier = [table];
  while (frontier.length > 0) {
    const children = tables.filter((candidate) => !found.has(candidate) && candidate !== table && parentsOf(candidate).some((p) => frontier.includes(p)));
    children.forEach((child) => found.add(child));
    frontier = children;
  }
  return found;
}
