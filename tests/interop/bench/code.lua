-- wrk script: POST one fresh authorization code per request to the token endpoint.
-- wrk -tN ... -s code.lua URL/token -- BODIES_FILE N   (one urlencoded body per line, from mint.mjs --mode codes)
-- Each thread takes every n-th line. When a thread runs out of codes it sends an empty body (refused, counted
-- as non-2xx: the summary reports successful requests only).
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[2])
  bodies, pos = {}, 1
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then table.insert(bodies, line) end
    i = i + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
function request()
  local body = bodies[pos] or "grant_type=authorization_code"
  pos = pos + 1
  return wrk.format(nil, nil, nil, body)
end
