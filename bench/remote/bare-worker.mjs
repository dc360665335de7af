// The baseline's worker: a bare BullMQ worker doing the benchmark item's work, one job
// per item. Usage: node bare-worker.mjs <redis url> <queue> <concurrency>
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { spin } from "./work.mjs";

const [url, queue, concurrency] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker(queue, async (job) => spin(job.data.x, job.data.cpuMs), {
  connection,
  concurrency: Number(concurrency),
  skipVersionCheck: true,
});
await worker.waitUntilReady();
console.log("serving");
const stop = async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
