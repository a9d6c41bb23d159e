-- Every request a different query string: each one misses the cache.
local counter = 0
local id = 0
local threads = {}
setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&bust=" .. id .. "-" .. counter)
end
