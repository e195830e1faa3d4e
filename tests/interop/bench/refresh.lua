-- wrk script: refresh-token grants with one-time (rotating) refresh tokens. Each response's new refresh token goes
-- back into the thread's pool, so a few tokens per connection keep the load going.
-- wrk -tN ... -s refresh.lua URL/token -- TOKENS_FILE CLIENT_ID N [CLIENT_SECRET]   (secret: client_secret_post)
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[3])
  pool = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then table.insert(pool, line) end
    i = i + 1
  end
  client = args[2]
  secret = args[4]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function request()
  local token = table.remove(pool) or "exhausted"
  local auth = secret and ("&client_secret=" .. encode(secret)) or ""
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&client_id=" .. client .. auth .. "&refresh_token=" .. encode(token))
end
function response(status, headers, body)
  local token = body:match('"refresh_token":"([^"]+)"')
  if token then table.insert(pool, 1, token) end
end
