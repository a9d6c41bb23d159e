-- Appended to every scenario: print one JSON line wrk's Python driver parses.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  -- Scenarios that count X-Cache answers (paths.lua) keep a table of their threads.
  local hits, misses = -1, -1
  if threads ~= nil then
    hits, misses = 0, 0
    for _, thread in ipairs(threads) do
      hits = hits + (thread:get("hits") or 0)
      misses = misses + (thread:get("misses") or 0)
    end
  end
  io.write(string.format(
    '{"requests": %d, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "non_2xx": %d, "errors": %d,'
      .. ' "cache_hits": %d, "cache_misses": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, errors, hits, misses))
end
