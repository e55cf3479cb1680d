-- SPDX-License-Identifier: MIT
-- opendcre: the role of an authenticated user for the OpenDCRE service
-- (lighttpd mod_magnet, see 14-opendcre-auth.conf). Users named in
-- @LIGHTTPD_OPERATORS@ (one user name a line; # starts a comment) are
-- operators; every other authenticated user is a viewer, who may read but not
-- change state: the service refuses a viewer's state change by its own route
-- table (403 with the API's error body, and an audit line). The role reaches
-- the service as the FastCGI parameter OPENDCRE_ROLE. No user (a location
-- without authentication): no role, no restriction. A missing or unreadable
-- list makes everyone a viewer.
local r = lighty.r
local user = r.req_env["REMOTE_USER"]
if user == nil or user == "" then
  return 0
end
local role = "viewer"
local f = io.open("@LIGHTTPD_OPERATORS@", "r")
if f then
  for line in f:lines() do
    local name = line:gsub("#.*", ""):match("^%s*(.-)%s*$")
    if name == user then
      role = "operator"
      break
    end
  end
  f:close()
end
r.req_env["OPENDCRE_ROLE"] = role
return 0
