-- Review submissions, each with its own text (the duplicate check sees new text).
local counter = 0
local id = 0
local threads = {}
setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = string.format(
    '{"rating": %d, "title": "Bench", "body": "Benchmark review %d from thread %d", "author_name": "Bench"}',
    counter % 5 + 1, counter, id)
  return wrk.format(nil, nil, nil, body)
end
