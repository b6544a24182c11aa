// The BullMQ peer of benches/intake_peers.sh: a producer that adds takedown jobs to a BullMQ
// queue on the same Redis as the service, with no Worker (nothing takes the jobs), for a
// fixed time, and prints one JSON line with what it did.
//
//   node bullmq_bench.mjs MODE SECONDS IN_FLIGHT REDIS_PORT RUN_TAG
//
// MODE: `single` (queue.add, IN_FLIGHT adds outstanding), `bulk` (queue.addBulk of 1,000 jobs,
// IN_FLIGHT bulks outstanding) or `jobid` (queue.add with a unique jobId, the BullMQ way to
// deduplicate, IN_FLIGHT outstanding). The job data is the same takedown request that the
// service is sent (target and evidence URL numbered), as an object that BullMQ serialises.
// Redis: 127.0.0.1:REDIS_PORT only. RUN_TAG keeps jobIds unique across runs.
//
// Needs `bullmq` and `ioredis` installed where NODE_PATH-free resolution finds them: the
// script is copied next to the node_modules that intake_peers.sh installs.
import { Queue } from "bullmq";

const [mode, seconds, inFlight, port, tag] = process.argv.slice(2);
const duration = Number(seconds) * 1000;
const width = Number(inFlight);
if (!["single", "bulk", "jobid"].includes(mode) || !(duration > 0) || !(width > 0)) {
  console.error("usage: node bullmq_bench.mjs single|bulk|jobid SECONDS IN_FLIGHT REDIS_PORT RUN_TAG");
  process.exit(2);
}

const queue = new Queue("takedowns", {
  connection: { host: "127.0.0.1", port: Number(port), maxRetriesPerRequest: 1 },
});
await queue.waitUntilReady();

const takedown = (i) => ({
  target: `shop${i}.example.com`,
  category: "counterfeit",
  legal_basis: { document_number: "123/QĐ-QLTT", issued_on: "2026-11-02", issuer: "Cục QLTT Hà Nội" },
  evidence: [{
    url: `https://shop${i}.example.com/p/1`,
    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    captured_at: "2026-11-01T08:00:00Z",
    description: "listing",
  }],
  requested_action: "block",
});

let next = 0;
let jobs = 0;
let failures = 0;
const latencies = [];
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
const deadline = Date.now() + duration;

async function lane() {
  while (Date.now() < deadline) {
    const t0 = process.hrtime.bigint();
    try {
      if (mode === "bulk") {
        const batch = [];
        for (let k = 0; k < 1000; k++) {
          const i = next++;
          batch.push({ name: "takedown", data: takedown(i) });
        }
        const added = await queue.addBulk(batch);
        jobs += added.length;
      } else {
        const i = next++;
        const opts = mode === "jobid" ? { jobId: `${tag}-${i}` } : undefined;
        await queue.add("takedown", takedown(i), opts);
        jobs += 1;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    } catch (error) {
      failures += 1;
      if (failures === 1) console.error(`bullmq ${mode}: ${error}`);
    }
  }
}

await Promise.all(Array.from({ length: width }, lane));
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0;
console.log(JSON.stringify({
  mode, jobs, failures, seconds: elapsed, rate: jobs / elapsed,
  p50_ms: pct(0.5), p99_ms: pct(0.99),
  cpu_s: (cpu.user + cpu.system) / 1e6,
}));
await queue.close();
