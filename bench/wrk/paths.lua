-- Cache misses without a cache-buster (unknown query parameters are refused): each
-- request is the next of a list of distinct, valid paths in the file named by
-- PLAUDIT_BENCH_PATHS (one a line), each thread starting at its own place in it, while
-- run.py deletes the cached bodies every few milliseconds (generations and site rows
-- stay as they are, as on any miss). Counts the X-Cache answers (globals, so that
-- report.lua's done() can read them from each thread), so the report says how many
-- were really misses.
local paths = {}
for line in io.lines(os.getenv("PLAUDIT_BENCH_PATHS")) do
  paths[#paths + 1] = line
end
threads = {}
hits, misses = 0, 0
id, position = 0, 0
setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
init = function(args)
  -- Threads start evenly apart (PLAUDIT_BENCH_THREADS of them), so that no two ask for
  -- the same path within moments of each other.
  position = math.floor(id * #paths / tonumber(os.getenv("PLAUDIT_BENCH_THREADS")))
end
request = function()
  position = position % #paths + 1
  return wrk.format(nil, paths[position])
end
response = function(status, headers, body)
  if headers["X-Cache"] == "hit" then
    hits = hits + 1
  else
    misses = misses + 1
  end
end
