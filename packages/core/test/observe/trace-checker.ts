/**
 * The structure a trace viewer relies on, checked: every event has `ph`, `ts`, `pid` and
 * `tid`; every lane (pid, tid) with boxes is named (`thread_name`); boxes (`X`) of one
 * lane nest (none partly overlaps another); every flow end has a start with its id, no
 * later than the end; counters have numeric args. Returns the problems found (none: []).
 */
interface AnyEvent {
  readonly name?: unknown;
  readonly ph?: unknown;
  readonly ts?: unknown;
  readonly dur?: unknown;
  readonly pid?: unknown;
  readonly tid?: unknown;
  readonly id?: unknown;
  readonly args?: unknown;
}

/** Microseconds of float rounding in `ts + dur` (the times have nanosecond resolution). */
const EPSILON = 1e-6;

export function checkTrace(trace: unknown): string[] {
  const problems: string[] = [];
  const events = (trace as { traceEvents?: unknown })?.traceEvents;
  if (!Array.isArray(events)) return ["traceEvents is not an array"];
  if ((trace as { displayTimeUnit?: unknown }).displayTimeUnit !== "ms") problems.push('displayTimeUnit is not "ms"');

  const named = new Set<string>();
  const processes = new Set<unknown>();
  const lanes = new Map<string, Array<{ ts: number; end: number; name: unknown }>>();
  const flowStarts = new Map<unknown, number>();
  const flowEnds: Array<{ id: unknown; ts: number }> = [];
  events.forEach((e: AnyEvent, i) => {
    const where = `event ${i} (${String(e.ph)} ${String(e.name)})`;
    if (typeof e.ph !== "string") problems.push(`${where}: no ph`);
    if (typeof e.ts !== "number" || !Number.isFinite(e.ts)) problems.push(`${where}: no numeric ts`);
    if (typeof e.pid !== "number") problems.push(`${where}: no pid`);
    if (typeof e.tid !== "number") problems.push(`${where}: no tid`);
    const lane = `${String(e.pid)}/${String(e.tid)}`;
    const ts = e.ts as number;
    switch (e.ph) {
      case "M":
        if (e.name === "thread_name") named.add(lane);
        if (e.name === "process_name") processes.add(e.pid);
        if (typeof (e.args as { name?: unknown })?.name !== "string" && String(e.name).endsWith("_name")) problems.push(`${where}: no name arg`);
        break;
      case "X": {
        if (typeof e.dur !== "number" || !(e.dur >= 0)) problems.push(`${where}: no dur >= 0`);
        let list = lanes.get(lane);
        if (list === undefined) lanes.set(lane, (list = []));
        list.push({ ts, end: ts + (e.dur as number), name: e.name });
        break;
      }
      case "C":
        if (typeof e.args !== "object" || e.args === null || Object.keys(e.args).length === 0) problems.push(`${where}: no args`);
        else for (const [k, v] of Object.entries(e.args)) if (typeof v !== "number" || !Number.isFinite(v)) problems.push(`${where}: arg ${k} not numeric`);
        break;
      case "s":
        if (flowStarts.has(e.id)) problems.push(`${where}: flow id ${String(e.id)} started twice`);
        flowStarts.set(e.id, ts);
        break;
      case "f":
        flowEnds.push({ id: e.id, ts });
        break;
    }
  });

  for (const [lane, list] of lanes) {
    if (!named.has(lane)) problems.push(`lane ${lane} has boxes but no thread_name`);
    if (!processes.has(Number(lane.split("/")[0]))) problems.push(`lane ${lane}: its process has no process_name`);
    list.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: Array<{ ts: number; end: number; name: unknown }> = [];
    for (const box of list) {
      while (stack.length > 0 && stack[stack.length - 1]!.end <= box.ts + EPSILON) stack.pop();
      const top = stack[stack.length - 1];
      if (top !== undefined && top.end + EPSILON < box.end) {
        problems.push(`lane ${lane}: ${String(box.name)} [${box.ts}, ${box.end}] partly overlaps ${String(top.name)} [${top.ts}, ${top.end}]`);
      }
      stack.push(box);
    }
  }
  for (const end of flowEnds) {
    const start = flowStarts.get(end.id);
    if (start === undefined) problems.push(`flow end ${String(end.id)} has no start`);
    else if (start > end.ts) problems.push(`flow ${String(end.id)} ends at ${end.ts}, before its start at ${start}`);
  }
  return problems;
}

/** The names of the trace's lanes (thread_name metadata), in tid order. */
export function laneNames(trace: { traceEvents: ReadonlyArray<{ ph: string; name: string; tid: number; args?: unknown }> }): string[] {
  return trace.traceEvents
    .filter((e) => e.ph === "M" && e.name === "thread_name")
    .sort((a, b) => a.tid - b.tid)
    .map((e) => (e.args as { name: string }).name);
}
