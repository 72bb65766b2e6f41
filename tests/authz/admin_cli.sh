#!/usr/bin/env bash
# admin_cli.sh - table-driven test of `parkline admin` against a real SQLite
# file in a temp dir: each case runs one command and checks its exit status
# (0 done, 1 failed, 2 bad arguments) and a pattern in its output. Cases run
# in order and build on each other (a user added, then listed, ...).
# Prints failures and, last, "admin-cli: P passed, F failed".
# Usage: tests/authz/admin_cli.sh [path/to/parkline]
set -uo pipefail
bin=${1:-build/parkline}
dir=$(mktemp -d /tmp/pl-admin-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export PARKLINE_DB=$dir/a.db PARKLINE_HASH_COST=min
unset PARKLINE_PASSWORD
pass=0; fail=0

# run NAME WANT_RC PATTERN STDIN -- ARGS... (PATTERN: grep -E over stdout+stderr)
run() {
  local name=$1 want=$2 pat=$3 input=$4; shift 5
  local out rc
  out=$(printf '%s' "$input" | "$bin" admin "$@" 2>&1); rc=$?
  # a here-string, not a pipe: grep -q stops at the first match, and under
  # pipefail a writer still writing would die of SIGPIPE and fail the case
  if [ "$rc" = "$want" ] && grep -Eq -- "$pat" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL admin-cli $name: rc $rc (want $want), output:"; printf '%s\n' "$out" | head -5
  fi
}

run "help"               0 "usage: parkline admin" "" -- --help
run "no group"           2 "no group given" "" --
run "unknown group"      2 "unknown group 'frob'" "" -- frob list
run "unknown option"     2 "unknown option '--nope'" "" -- --nope user list
# every module appends its own migration (wave 2: desk, trace, line...), so a
# fresh database applies "all of them", not a fixed number
run "db migrate"         0 "applied [1-9][0-9]* migration" "" -- db migrate
run "db migrate again"   0 "applied 0 migration" "" -- db migrate
run "db check"           0 '"ok": true' "" -- db check
run "db backup no file"  2 "give the backup FILE" "" -- db backup
run "db backup"          0 "backup written" "" -- db backup "$dir/b.db"
run "backup is a db"     0 '"ok": true' "" -- --db "$dir/b.db" db check
run "user add no pw"     2 "never as an argument" "" -- user add alice --role park_admin --display-name A
run "user add stdin"     0 "user alice created" $'long enough pw\n' -- user add alice --role park_admin --display-name "Alice" --password-stdin
run "user add taken"     1 "taken" $'long enough pw\n' -- user add alice --role park_admin --display-name "Alice" --password-stdin
run "user add short pw"  1 "password must be 10" $'short\n' -- user add bob --role auditor --display-name B --password-stdin
run "user add bad name"  1 "username must be" $'long enough pw\n' -- user add "Bob!" --role auditor --display-name B --password-stdin
run "user add bad role"  1 "role must be one of" $'long enough pw\n' -- user add bob --role root --display-name B --password-stdin
run "user add no role"   2 "\-\-role is required" "" -- user add bob --display-name B --password-stdin
run "user add no ent"    1 "enterprise_id is required" $'long enough pw\n' -- user add bob --role enterprise --display-name B --password-stdin
run "user add ghost ent" 1 "no enterprise has id or USCC" $'long enough pw\n' -- user add bob --role enterprise --display-name B --enterprise 91500102203104854Y --password-stdin
run "user add dept"      0 "user carol created" $'long enough pw\n' -- user add carol --role department --department tax --display-name C --password-stdin
run "user add twice opt" 2 "given twice" "" -- user add dave --role auditor --role auditor --display-name D
run "user list"          0 "carol +department" "" -- user list
run "user list json"     0 '"username": "alice"' "" -- user list --json
run "user list extra"    2 "unexpected argument 'x'" "" -- user list x
PARKLINE_PASSWORD='another good pw' \
run "passwd env"         0 "password of alice changed" "" -- user passwd alice
run "passwd stdin"       0 "password of alice changed" $'third good pw\n' -- user passwd alice --password-stdin
run "passwd empty stdin" 1 "no password on stdin" "" -- user passwd alice --password-stdin
run "passwd no user"     2 "give exactly one USERNAME" "" -- user passwd
run "disable last admin" 1 "last active park admin" "" -- user disable alice
run "disable carol"      0 "carol disabled" "" -- user disable carol
run "enable carol"       0 "carol enabled" "" -- user disable carol --enable
run "disable nobody"     1 "not found|no such" "" -- user disable nobody
run "user unknown verb"  2 "unknown command 'frob'" "" -- user frob
run "token add no name"  2 "\-\-name is required" "" -- token add --role auditor
run "token add bad exp"  1 "expires_at must be" "" -- token add --name t --role auditor --expires soon
run "token add"          0 "^pl_[A-Za-z0-9_-]{43}" "" -- token add --name scraper --role auditor
run "token list"         0 "auditor .* no +scraper" "" -- token list
run "token revoke none"  1 "no active token" "" -- token revoke 01J99999999999999999999999
run "token revoke args"  2 "give exactly one token ID" "" -- token revoke
run "db unknown verb"    2 "unknown command 'drop'" "" -- db drop
PARKLINE_HASH_COST=bogus \
run "bad hash cost"      2 "PARKLINE_HASH_COST must be" "" -- user list

# cases that need state from the ones above
tokid=$(PARKLINE_HASH_COST=min "$bin" admin token list --json | sed -n 's/.*"id": "\([0-9A-Z]\{26\}\)".*/\1/p' | head -1)
run "token revoke"       0 "revoked" "" -- token revoke "$tokid"
run "token revoked"      0 "auditor .* yes +scraper" "" -- token list

echo "admin-cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
