/** Text summaries of V8 CPU profiles (bench/src/profile-*.ts). */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function label(n: Node, root: string): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  const short = url.includes('node_modules')
    ? url.slice(url.lastIndexOf('node_modules/') + 13)
    : url.replace(/^\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
}

/** Prints the top frames of a V8 CPU profile by self and inclusive time, per unit of work. */
export function summarise(profile: Profile, requests: number, root: string, unit = 'req'): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const selfByLabel = new Map<string, number>();
  const inclByLabel = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    total += t;
    if (n.callFrame.functionName === '(idle)') idle += t;
    const l = label(n, root);
    selfByLabel.set(l, (selfByLabel.get(l) ?? 0) + t);
    // inclusive: count each label once per stack
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur)!, root);
      if (seen.has(cl)) continue;
      seen.add(cl);
      inclByLabel.set(cl, (inclByLabel.get(cl) ?? 0) + t);
    }
  }
  const busy = total - idle;
  const us = (t: number) => `${(t / requests).toFixed(1)} µs/${unit}`;
  console.log(
    `\nprofiled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s, ${requests} ${unit}s: ${us(busy)} of CPU on the main thread per ${unit}`,
  );
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .filter(([l]) => !l.startsWith('(idle)') && !l.startsWith('(root)') && !l.startsWith('(program)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, k);
  console.log('\ntop self time:');
  for (const [l, t] of top(selfByLabel, 35))
    console.log(`  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${us(t).padStart(14)}  ${l}`);
  console.log('\ntop inclusive time:');
  for (const [l, t] of top(inclByLabel, 60))
    console.log(`  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${us(t).padStart(14)}  ${l}`);
  console.log(
    `  (program) ${us(selfByLabel.get('(program) :0') ?? 0)}, (garbage collector) ${us(selfByLabel.get('(garbage collector) :0') ?? 0)}`,
  );
}
