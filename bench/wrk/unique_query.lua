-- Every request a different query string: each one misses the cache. A random run
-- token keeps two runs (read_miss, page_1_miss) from hitting each other's entries.
local counter = 0
local id = 0
math.randomseed(os.time() + os.clock() * 1e6)
local run = math.random(1, 1e9)
local threads = {}
setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&bust=" .. run .. "-" .. id .. "-" .. counter)
end
