/** Helpers of the monitor's tests: a pipeline kept busy in the background, and Prometheus text parsed. */
import { MonitoredPipeline } from "../../../examples/monitor/cells.js";

/** The example's pipeline, deployed with `asyncClones` async clones and `threadClones` thread clones, pulled until `stop`. */
export async function busyPipeline(name: string, asyncClones: number, threadClones: number, workMs = 20) {
  const pipeline = new MonitoredPipeline(null, name);
  pipeline.scalable.work.workMs.setValue(workMs);
  if (asyncClones > 0) pipeline.scalable.scaleUp(asyncClones, "async");
  if (threadClones > 0) pipeline.scalable.scaleUp(threadClones, "thread");
  await pipeline.deploy();
  let running = true;
  let pulls = 0;
  const loop = (async () => {
    while (running) {
      await pipeline.pull();
      pulls++;
    }
  })();
  return {
    pipeline,
    get pulls() {
      return pulls;
    },
    async stop() {
      running = false;
      await loop;
      await pipeline.undeploy();
    },
  };
}

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * Prometheus text exposition format, strictly: `# HELP name text`, `# TYPE name kind`,
 * `name{label="value",…} number` lines; anything else throws.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][\w:]* .*$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (-?[\d.e+-]+|\+Inf|-Inf|NaN)$/.exec(line);
    if (sample === null) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}
