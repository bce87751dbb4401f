-- wrk prints p50/p75/p90/p99; the targets also name p95. Printed after each run.
done = function(summary, latency, requests)
  io.write(string.format("percentiles (ms): p50 %.2f p90 %.2f p95 %.2f p99 %.2f max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
