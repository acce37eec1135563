#!/usr/bin/env bash
# compare.sh: benchmark build/aws-s3 (Go) against the reference Python wodle
# (wodles/aws/aws-s3 from wazuh/wazuh), one after the other in one run on the
# same bucket contents, and print one table of wall time, CPU time, peak RSS
# and events/s with the Go/reference ratios.
#
# Usage:
#   REFERENCE_WODLES=/tmp/refwodle/wodles tests/reference/compare.sh
#
#   REFERENCE_WODLES  directory holding the reference's aws/ and utils.py (and
#                     __init__.py), i.e. wazuh/wazuh's wodles/ directory,
#                     e.g. from `git archive <rev> wodles/aws wodles/utils.py
#                     wodles/__init__.py | tar -x -C /tmp/refwodle`. Required.
#   AWS_S3_EXE        the Go executable (default: build/aws-s3; `make exe`).
#   VERSITYGW         the versitygw binary (default: $PATH, then
#                     $(go env GOPATH)/bin/versitygw).
#   CT_OBJECTS        CloudTrail objects (default 300: 2 accounts x 2 regions
#                     x 3 days x 25), CT_RECORDS records each (default 100).
#   ALB_OBJECTS       ALB access-log objects (default 40; 0 skips the set),
#                     ALB_LINES lines each (default 250).
#   REPEATS           runs per implementation and data set (default 3,
#                     interleaved go, ref, go, ref...); the table shows the
#                     median of each figure.
#   LATENCY_MS        delay every request of the implementations by this many
#                     milliseconds (a stand-in for a real S3 region; default 0)
#   KEEP_WORK=1       keep the work directory (outputs, time -v reports).
#
# What it does: starts versitygw (posix backend on a temporary directory,
# random root keys passed through its environment, 127.0.0.1 only, as
# tests/bench does), generates gzip CloudTrail and ALB objects with python3
# and uploads them, then for each implementation and data set builds a fresh
# installation directory <W> the way /work/shared/corpus/tools/harness.py
# does (bin/wazuh-control printing WAZUH_VERSION="v5.1.0", a bound AF_UNIX
# datagram socket queue/sockets/queue read by a python3 reader, cwd
# <W>/home, the corpus's environment with the gateway's keys) and runs
#   <W>/wodles/aws/aws-s3 --bucket B --only_logs_after 2024-NOV-19 \
#     --service_endpoint http://127.0.0.1:PORT --type T --debug 1
# under /usr/bin/time -v. Each run starts with no state database, so every
# object is read. A run passes when it exits 0, delivers every event, and
# records every object in s3_cloudtrail.db; the result passes when, in
# addition, both implementations delivered the same multiset of events
# (JSON payloads compared after sorting keys) and left the same state
# database (every table, processed_date left out, as the corpus compares).
# The reference asks STS for the account of custom-family buckets (alb),
# which versitygw does not serve: a small python3 stub answers
# GetCallerIdentity (account 123456789012) through AWS_ENDPOINT_URL_STS, set
# for both implementations as in the corpus's environment.
#
# The reference imports pyarrow unconditionally (exit 10 without it) but
# uses it only for Security Lake. When python3 has no pyarrow, a stub
# package (an empty pyarrow/ with a parquet module whose read_table raises)
# is put on PYTHONPATH for the reference's runs only. The installed
# reference tree is byte-compiled before it is timed, as a long-running
# installation would be. python3 must have boto3.
#
# Exit status: 0 when every run passed, 1 otherwise, 2 on a setup error.

set -euo pipefail

die() { echo "compare.sh: $*" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

: "${REFERENCE_WODLES:?set REFERENCE_WODLES to the reference wodles/ directory (holding aws/ and utils.py)}"
[ -f "$REFERENCE_WODLES/aws/aws_s3.py" ] && [ -f "$REFERENCE_WODLES/utils.py" ] ||
	die "$REFERENCE_WODLES has no aws/aws_s3.py and utils.py"
REFERENCE_WODLES=$(cd "$REFERENCE_WODLES" && pwd)

AWS_S3_EXE=${AWS_S3_EXE:-$root/build/aws-s3}
[ -x "$AWS_S3_EXE" ] || die "$AWS_S3_EXE is not an executable (run make exe)"
AWS_S3_EXE=$(cd "$(dirname "$AWS_S3_EXE")" && pwd)/$(basename "$AWS_S3_EXE")

if [ -z "${VERSITYGW:-}" ]; then
	VERSITYGW=$(command -v versitygw || true)
	if [ -z "$VERSITYGW" ] && command -v go >/dev/null; then
		VERSITYGW=$(go env GOPATH)/bin/versitygw
	fi
fi
[ -n "$VERSITYGW" ] && [ -x "$VERSITYGW" ] ||
	die "versitygw not found: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (or set VERSITYGW)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is required"

CT_OBJECTS=${CT_OBJECTS:-300}
CT_RECORDS=${CT_RECORDS:-100}
ALB_OBJECTS=${ALB_OBJECTS:-40}
ALB_LINES=${ALB_LINES:-250}
REPEATS=${REPEATS:-3}

# The real interpreter, not a pyenv shim: its directory goes first on the
# runs' PATH, so the reference's `#!/usr/bin/env python3` finds it directly.
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))') || die "python3 not found"
"$PY" -c 'import boto3' 2>/dev/null || die "$PY has no boto3"
PYDIR=$(dirname "$PY")

work=$(mktemp -d /tmp/aws-s3-refbench.XXXXXX)
gw_pid=
sts_pid=
latency_pid=
reader_pid=
cleanup() {
	local rc=$?
	if [ -n "$reader_pid" ]; then kill "$reader_pid" 2>/dev/null || true; wait "$reader_pid" 2>/dev/null || true; fi
	if [ -n "$sts_pid" ]; then kill "$sts_pid" 2>/dev/null || true; wait "$sts_pid" 2>/dev/null || true; fi
	if [ -n "$latency_pid" ]; then kill "$latency_pid" 2>/dev/null || true; wait "$latency_pid" 2>/dev/null || true; fi
	if [ -n "$gw_pid" ]; then kill -- "-$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
	if [ "${KEEP_WORK:-}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers
cat >"$work/reader.py" <<'EOF'
# reader.py SOCKET READY RESULT: bind SOCKET (AF_UNIX datagram), touch
# READY, receive until the STOP datagram (sent once the implementation
# has exited; datagrams arrive in order, so every event precedes it), then
# write RESULT as JSON: frame and byte counts, frames without the header, a
# digest of the multiset of canonicalised payloads, and the CPU time spent
# receiving. The receive loop is a plain blocking recv, the cheapest there
# is, since the reader shares the machine with the implementation.
import hashlib, json, os, resource, socket, sys

STOP = b"\0refbench-stop"
path, ready, result = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root only)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(path)
open(ready, "w").close()
# recv_into one buffer: recv(4 MB) per frame would leave one mapping per
# frame in the heap and run into vm.max_map_count near 65,000 frames.
frames = []
buf = bytearray(1 << 22)
view = memoryview(buf)
recv_into, append = s.recv_into, frames.append
while True:
    f = bytes(view[:recv_into(buf)])
    if f == STOP:
        break
    append(f)

ru = resource.getrusage(resource.RUSAGE_SELF)
cpu = ru.ru_utime + ru.ru_stime
HEADER = b"1:Wazuh-AWS:"
def norm(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
bad = 0
digests = []
for f in frames:
    if not f.startswith(HEADER):
        bad += 1
        continue
    try:
        v = norm(json.loads(f[len(HEADER):]))
    except ValueError:
        bad += 1
        continue
    digests.append(hashlib.sha256(json.dumps(v, sort_keys=True, ensure_ascii=False).encode()).digest())
digests.sort()
with open(result, "w") as out:
    json.dump({"frames": len(frames), "bytes": sum(map(len, frames)), "bad": bad, "cpu": cpu,
               "digest": hashlib.sha256(b"".join(digests)).hexdigest()}, out)
EOF

cat >"$work/sts.py" <<'EOF'
# sts.py PORTFILE: answer every request on a free 127.0.0.1 port with an STS
# GetCallerIdentity result (account 123456789012, as the corpus's server),
# writing the port to PORTFILE. versitygw serves only S3, and the reference
# asks STS for the account of custom-family buckets (alb included) at
# start-up; signatures are not checked.
import http.server, os, sys
XML = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
       b'<Arn>arn:aws:iam::123456789012:user/bench</Arn><UserId>AIDAREFBENCH</UserId>'
       b'<Account>123456789012</Account></GetCallerIdentityResult>'
       b'<ResponseMetadata><RequestId>refbench</RequestId></ResponseMetadata></GetCallerIdentityResponse>')
JSON = b'{"Arn":"arn:aws:iam::123456789012:user/bench","UserId":"AIDAREFBENCH","Account":"123456789012"}'
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        js = "json" in (self.headers.get("Content-Type") or "")
        body = JSON if js else XML
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1" if js else "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF

cat >"$work/latency.py" <<'EOF'
# latency.py PORTFILE TARGET MS: a threaded HTTP proxy on a free 127.0.0.1
# port that forwards every request to TARGET after MS milliseconds, as a
# stand-in for the round trip to a real S3 region. The Host header is kept,
# so the signatures made for the proxy's address verify at the gateway.
import http.client, http.server, os, sys, time, urllib.parse
target = urllib.parse.urlparse(sys.argv[2])
delay = int(sys.argv[3]) / 1000.0
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(delay)
        c = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        c.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()
    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF

# Environment of every run: the corpus's (README "Environment of each run")
# with the gateway's keys and the STS stub's endpoint. run_one exports it in
# a subshell emptied of everything else, rather than passing it to env(1),
# so that the keys show neither in ps nor in time -v's "Command being timed".
run_env() {
	local w=$1
	printf '%s\n' \
		"PATH=$PYDIR:/usr/local/bin:/usr/bin:/bin" \
		"HOME=$w/home" \
		"AWS_ACCESS_KEY_ID=$access" \
		"AWS_SECRET_ACCESS_KEY=$secret" \
		"AWS_DEFAULT_REGION=us-east-1" \
		"AWS_ENDPOINT_URL_STS=$sts_endpoint" \
		"AWS_EC2_METADATA_DISABLED=true" \
		"TZ=UTC" \
		"LANG=C.UTF-8"
}

# install_go W / install_ref W: put the implementation at W/wodles/aws/aws-s3.
install_go() {
	cp "$AWS_S3_EXE" "$1/wodles/aws/aws-s3"
	chmod 755 "$1/wodles/aws/aws-s3"
}
install_ref() {
	local dst=$1/wodles
	cp "$REFERENCE_WODLES/utils.py" "$dst/"
	[ -f "$REFERENCE_WODLES/__init__.py" ] && cp "$REFERENCE_WODLES/__init__.py" "$dst/"
	rm -rf "$dst/aws"
	mkdir "$dst/aws"
	(cd "$REFERENCE_WODLES/aws" && tar -c --exclude=tests --exclude=__pycache__ .) | tar -x -C "$dst/aws"
	cp "$dst/aws/aws_s3.py" "$dst/aws/aws-s3"
	chmod 750 "$dst/aws/aws-s3"
	"$PY" -m compileall -q "$dst" >/dev/null
}

# gw_cpu: CPU ticks versitygw has used so far (all its threads).
clk_tck=$(getconf CLK_TCK)
gw_cpu() {
	local f
	read -ra f <"/proc/$gw_pid/stat"
	# utime and stime are fields 14 and 15 (versitygw's name has no space).
	echo $((f[13] + f[14]))
}

# run_one IMPL TYPE REP: one timed run in a fresh installation; appends a
# JSON line to $work/results.ndjson.
run_one() {
	local impl=$1 type=$2 rep=$3
	local w=$work/runs/$impl-$type-$rep
	mkdir -p "$w/bin" "$w/queue/sockets" "$w/wodles/aws" "$w/home"
	printf '#!/bin/sh\necho %s\necho %s\necho %s\n' "'WAZUH_VERSION=\"v5.1.0\"'" \
		"'WAZUH_REVISION=\"alpha0\"'" "'WAZUH_TYPE=\"server\"'" >"$w/bin/wazuh-control"
	chmod 755 "$w/bin/wazuh-control"
	"install_$impl" "$w"
	local -a envv
	mapfile -t envv < <(run_env "$w")
	if [ "$impl" = ref ] && [ -n "$pystub" ]; then envv+=("PYTHONPATH=$pystub"); fi
	local gw0 gw1
	gw0=$(gw_cpu)

	"$PY" "$work/reader.py" "$w/queue/sockets/queue" "$w/reader.ready" "$w/reader.json" &
	reader_pid=$!
	local i
	for i in $(seq 100); do [ -e "$w/reader.ready" ] && break; sleep 0.05; done
	[ -e "$w/reader.ready" ] || die "queue reader did not start"

	local rc=0 t0 t1
	t0=$(date +%s%N)
	(
		cd "$w/home"
		for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
		for v in "${envv[@]}"; do export "${v?}"; done
		exec /usr/bin/time -v -o "$w/time.txt" "$w/wodles/aws/aws-s3" \
			--bucket "$bucket" --only_logs_after 2024-NOV-19 --service_endpoint "$run_endpoint" \
			--type "$type" --debug 1 </dev/null >"$w/output.txt" 2>&1
	) || rc=$?
	t1=$(date +%s%N)
	gw1=$(gw_cpu)
	"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"\0refbench-stop", sys.argv[1])' \
		"$w/queue/sockets/queue"
	wait "$reader_pid" || die "queue reader failed"
	reader_pid=

	"$PY" - "$w" "$impl" "$type" "$rc" "$(((t1 - t0) / 1000))" "$((gw1 - gw0))" "$clk_tck" >>"$work/results.ndjson" <<'EOF'
import hashlib, json, os, re, sqlite3, sys
w, impl, typ, rc, wall_us, gw_ticks, clk_tck = sys.argv[1:8]
t = open(os.path.join(w, "time.txt")).read()
def field(name):
    m = re.search(r"^\s*" + re.escape(name) + r": (\S+)$", t, re.M)
    return m.group(1) if m else None
db = os.path.join(w, "wodles", "aws", "s3_cloudtrail.db")
# rows: state rows outside the metadata table; dump: every table as the
# corpus compares it (processed_date left out, rows sorted).
rows, dump = None, None
if os.path.exists(db):
    con = sqlite3.connect(db)
    try:
        tabs = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        rows, dump = 0, {}
        for x in tabs:
            cols = [c[1] for c in con.execute('PRAGMA table_info("%s")' % x) if c[1] != "processed_date"]
            got = sorted((list(r) for r in con.execute(
                'SELECT %s FROM "%s"' % (", ".join('"%s"' % c for c in cols), x))), key=json.dumps)
            dump[x] = [cols, got]
            if x != "metadata":
                rows += len(got)
    finally:
        con.close()
db_digest = hashlib.sha256(json.dumps(dump).encode()).hexdigest()
out = open(os.path.join(w, "output.txt"), "rb").read().decode("utf-8", "replace")
tail = [l for l in out.splitlines() if l.strip()][-3:]
r = json.load(open(os.path.join(w, "reader.json")))
print(json.dumps({"impl": impl, "type": typ, "rc": int(rc), "wall": int(wall_us) / 1e6,
                  "user": float(field("User time (seconds)") or 0), "sys": float(field("System time (seconds)") or 0),
                  "rss_kb": int(field("Maximum resident set size (kbytes)") or 0), "db_rows": rows,
                  "frames": r["frames"], "bytes": r["bytes"], "bad": r["bad"], "digest": r["digest"],
                  "reader_cpu": r["cpu"], "gw_cpu": int(gw_ticks) / int(clk_tck),
                  "db_digest": db_digest, "tail": tail}))
EOF
}

# ---------------------------------------------------------------- gateway
access=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')
secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
bucket=wazuh-refbench
mkdir -p "$work/gw/data"
# setsid: its own process group, so cleanup reaches anything it spawns.
ROOT_ACCESS_KEY_ID=$access ROOT_SECRET_ACCESS_KEY=$secret \
	setsid "$VERSITYGW" --port "127.0.0.1:$port" --quiet posix "$work/gw/data" >"$work/gw/log" 2>&1 &
gw_pid=$!
"$PY" "$work/sts.py" "$work/sts.port" &
sts_pid=$!
for _ in $(seq 100); do [ -e "$work/sts.port" ] && break; sleep 0.05; done
[ -e "$work/sts.port" ] || die "STS stub did not start"
sts_endpoint=http://127.0.0.1:$(cat "$work/sts.port")
# LATENCY_MS > 0: the implementations reach the gateway through a proxy that
# delays every request, like a real S3 region (uploads go direct).
run_endpoint=$endpoint
if [ "${LATENCY_MS:-0}" -gt 0 ]; then
	"$PY" "$work/latency.py" "$work/latency.port" "$endpoint" "$LATENCY_MS" &
	latency_pid=$!
	for _ in $(seq 100); do [ -e "$work/latency.port" ] && break; sleep 0.05; done
	[ -e "$work/latency.port" ] || die "latency proxy did not start"
	run_endpoint=http://127.0.0.1:$(cat "$work/latency.port")
fi

# ---------------------------------------------------------------- data
pystub=
if ! "$PY" -c 'import pyarrow.parquet' 2>/dev/null; then
	pystub=$work/pystub
	mkdir -p "$pystub/pyarrow"
	: >"$pystub/pyarrow/__init__.py"
	printf 'def read_table(*a, **k):\n    raise NotImplementedError("pyarrow stub (compare.sh)")\n' >"$pystub/pyarrow/parquet.py"
fi

echo "generating and uploading: $CT_OBJECTS CloudTrail objects x $CT_RECORDS records, $ALB_OBJECTS ALB objects x $ALB_LINES lines" >&2
AWS_ACCESS_KEY_ID=$access AWS_SECRET_ACCESS_KEY=$secret AWS_EC2_METADATA_DISABLED=true \
	"$PY" - "$endpoint" "$bucket" "$CT_OBJECTS" "$CT_RECORDS" "$ALB_OBJECTS" "$ALB_LINES" >"$work/expected.json" <<'EOF'
# Objects as AWS names and shapes them (the four CloudTrail record kinds
# and the ALB line of tests/fixture, about 1 KB per CloudTrail record),
# spread over 2 accounts x 2 regions x 3 days from 2024-11-19.
import datetime, gzip, json, random, sys, time, urllib.request
import boto3
from botocore.config import Config

endpoint, bucket = sys.argv[1:3]
ct_objects, ct_records, alb_objects, alb_lines = map(int, sys.argv[3:7])
deadline = time.time() + 20
while True:
    try:
        urllib.request.urlopen(endpoint + "/", timeout=1)
        break
    except urllib.error.HTTPError:
        break
    except Exception:
        if time.time() > deadline:
            sys.exit("versitygw did not answer on " + endpoint)
        time.sleep(0.1)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  config=Config(retries={"max_attempts": 3, "mode": "standard"}))
s3.create_bucket(Bucket=bucket)
rng = random.Random(42)
accounts, regions = ["111111111111", "222222222222"], ["us-east-1", "eu-west-1"]
day0 = datetime.datetime(2024, 11, 19, tzinfo=datetime.timezone.utc)
slots = [(a, r, d) for a in accounts for r in regions for d in range(3)]

def uid():
    return "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                             rng.getrandbits(12), rng.getrandbits(48))

def ct_record(i, acct, region, t):
    ts = (t + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ip, rid = "203.0.113.%d" % (i % 250 + 1), uid()
    k = i % 4
    if k == 0:
        return {"eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "principalId": "AROANW4S2KT7IL2E364A9:i-0a1b2c3d4e5f6%04d" % (i % 10000), "arn": "arn:aws:sts::%s:assumed-role/Admin/i-0a1b2c3d4e5f6%04d" % (acct, i % 10000), "accountId": acct, "accessKeyId": "ASIAFM8S9OH4FTTN972G", "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAXKWVLMDGRVGFC8A3L", "arn": "arn:aws:iam::%s:role/Admin" % acct, "accountId": acct, "userName": "Admin"}, "webIdFederationData": {}, "attributes": {"creationDate": ts, "mfaAuthenticated": "false"}}}, "eventTime": ts, "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "awsRegion": region, "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances", "requestParameters": {"instancesSet": {}, "filterSet": {"items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}}, "responseElements": None, "requestID": rid, "eventID": rid, "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": acct, "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "ec2.%s.amazonaws.com" % region}}
    if k == 1:
        return {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE%d" % i, "arn": "arn:aws:iam::%s:user/alice" % acct, "accountId": acct, "accessKeyId": "AKIAEXAMPLEKEY", "userName": "alice"}, "eventTime": ts, "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": region, "sourceIPAddress": ip, "userAgent": "[aws-sdk-java/1.12.600 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9]", "requestParameters": {"bucketName": "data-lake-" + region, "Host": "data-lake-%s.s3.%s.amazonaws.com" % (region, region), "key": "raw/2024/11/part-%05d.parquet" % i}, "responseElements": None, "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader", "x-amz-id-2": "Q2lwaGVyU3VpdGU=", "bytesTransferredOut": i}, "requestID": rid, "eventID": rid, "readOnly": True, "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data-lake-%s/raw/2024/11/part-%05d.parquet" % (region, i)}, {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data-lake-" + region}], "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": acct, "eventCategory": "Data"}
    if k == 2:
        return {"eventVersion": "1.08", "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}, "eventTime": ts, "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": region, "sourceIPAddress": "lambda.amazonaws.com", "userAgent": "lambda.amazonaws.com", "requestParameters": {"roleArn": "arn:aws:iam::%s:role/service-role/worker-%d" % (acct, i % 64), "roleSessionName": "worker-%d" % (i % 64), "durationSeconds": 3600}, "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLE%d" % (i % 64), "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "expiration": "Nov 19, 2024, 2:00:00 AM"}}, "requestID": rid, "eventID": rid, "readOnly": True, "resources": [{"accountId": acct, "type": "AWS::IAM::Role", "ARN": "arn:aws:iam::%s:role/service-role/worker-%d" % (acct, i % 64)}], "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": acct, "sharedEventID": rid, "eventCategory": "Management"}
    return {"eventVersion": "1.08", "userIdentity": {"type": "Root", "principalId": acct, "arn": "arn:aws:iam::%s:root" % acct, "accountId": acct}, "eventTime": ts, "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": region, "sourceIPAddress": ip, "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "requestParameters": None, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"}, "eventID": rid, "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": acct, "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "signin.aws.amazon.com"}}

def alb_line(i, acct, region, t):
    ts = t + datetime.timedelta(milliseconds=10 * i)
    f = "%Y-%m-%dT%H:%M:%S.%fZ"
    status = [200, 200, 200, 301, 404, 502][i % 6]
    return ('https %s app/web-lb/50dc6c495c0c9188 192.0.2.%d:%d 10.0.%d.%d:8080 0.000 0.%03d 0.000 %d %d %d %d '
            '"GET https://www.example.com:443/api/items/%d?page=%d HTTP/1.1" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) '
            'AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
            'arn:aws:elasticloadbalancing:%s:%s:targetgroup/web/73e2d6bc24d8a067 "Root=1-6737d8c1-%024x" '
            '"www.example.com" "arn:aws:acm:%s:%s:certificate/12345678-1234-1234-1234-123456789012" %d %s '
            '"waf,forward" "-" "-" "10.0.%d.%d:8080" "%d" "-" "-"\n') % (
        ts.strftime(f), i % 250 + 1, 1024 + i % 60000, i % 4, i % 250 + 1, i % 1000, status, status,
        200 + i % 800, 500 + i % 5000, i % 100000, i % 20, region, acct, i, region, acct,
        i % 10 + 1, (ts - datetime.timedelta(milliseconds=1)).strftime(f), i % 4, i % 250 + 1, status)

def times(n):
    """n object times spread over the slots: (account, region, time)."""
    per = -(-n // len(slots))
    out = []
    for j in range(n):
        a, r, d = slots[j % len(slots)]
        k = j // len(slots)
        out.append((a, r, day0 + datetime.timedelta(days=d, minutes=k * (1440 // per))))
    return out

total_bytes = 0
for a, r, t in times(ct_objects):
    body = json.dumps({"Records": [ct_record(i, a, r, t) for i in range(ct_records)]}, separators=(",", ":")).encode()
    key = "AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_%016x.json.gz" % (
        a, r, t.strftime("%Y/%m/%d"), a, r, t.strftime("%Y%m%dT%H%M"), rng.getrandbits(64))
    gz = gzip.compress(body, 6)
    total_bytes += len(gz)
    s3.put_object(Bucket=bucket, Key=key, Body=gz)
for a, r, t in times(alb_objects):
    body = "".join(alb_line(i, a, r, t) for i in range(alb_lines)).encode()
    key = "AWSLogs/%s/elasticloadbalancing/%s/%s/%s_elasticloadbalancing_%s_app.web-lb.50dc6c495c0c9188_%sZ_192.0.2.1_%016x.log.gz" % (
        a, r, t.strftime("%Y/%m/%d"), a, r, t.strftime("%Y%m%dT%H%M"), rng.getrandbits(64))
    gz = gzip.compress(body, 6)
    total_bytes += len(gz)
    s3.put_object(Bucket=bucket, Key=key, Body=gz)
sets = {"cloudtrail": {"objects": ct_objects, "events": ct_objects * ct_records}}
if alb_objects:
    sets["alb"] = {"objects": alb_objects, "events": alb_objects * alb_lines}
json.dump({"sets": sets, "gzip_bytes": total_bytes}, sys.stdout)
EOF

# ---------------------------------------------------------------- runs
: >"$work/results.ndjson"
types=(cloudtrail)
[ "$ALB_OBJECTS" -gt 0 ] && types+=(alb)
for type in "${types[@]}"; do
	for rep in $(seq "$REPEATS"); do
		for impl in go ref; do
			echo "run: $impl $type #$rep" >&2
			run_one "$impl" "$type" "$rep"
		done
	done
done

# ---------------------------------------------------------------- report
"$PY" - "$work/results.ndjson" "$work/expected.json" "$AWS_S3_EXE" "$REFERENCE_WODLES" "${pystub:+stub}" "$(nproc)" <<'EOF'
import json, statistics, sys
results = [json.loads(l) for l in open(sys.argv[1])]
expected = json.load(open(sys.argv[2]))["sets"]
exe, ref, stub, ncpu = sys.argv[3:7]
print("go:        " + exe)
print("reference: " + ref + ("  [pyarrow stub on PYTHONPATH]" if stub else ""))
print("CPUs: %s; figures are medians over the runs; cpu = user+sys of the implementation (children included);" % ncpu)
print("gw cpu = versitygw, rdr cpu = queue reader, over the same run (not included in cpu)")
ok = True
hdr = "%-10s %-4s %4s %4s %7s %7s %7s %7s %7s %9s %8s %6s %7s  %s" % (
    "type", "impl", "runs", "exit", "events", "db rows", "wall s", "cpu s", "rss MB", "events/s", "ev/cpu-s",
    "gw cpu", "rdr cpu", "check")
print(hdr)
print("-" * len(hdr))
med = {}
keys = ("wall", "user", "sys", "rss_kb", "frames", "db_rows", "gw_cpu", "reader_cpu")
def per(a, b):
    return a / b if b else 0
def ratio(a, b):
    return "%.3g" % (a / b) if b else "n/a"
for typ, exp in expected.items():
    for impl in ("go", "ref"):
        rs = [r for r in results if r["type"] == typ and r["impl"] == impl]
        problems = []
        for r in rs:
            if r["rc"] != 0:
                problems.append("exit %d: %s" % (r["rc"], " | ".join(r["tail"])))
            if r["frames"] != exp["events"]:
                problems.append("%d of %d events" % (r["frames"], exp["events"]))
            if r["bad"]:
                problems.append("%d malformed frames" % r["bad"])
            if r["db_rows"] != exp["objects"]:
                problems.append("%s of %d objects in the DB" % (r["db_rows"], exp["objects"]))
        ok = ok and not problems
        m = {k: statistics.median(r[k] or 0 for r in rs) for k in keys}
        m["cpu"] = statistics.median(r["user"] + r["sys"] for r in rs)
        m["digest"] = {r["digest"] for r in rs}
        m["db_digest"] = {r["db_digest"] for r in rs}
        med[typ, impl] = m
        print("%-10s %-4s %4d %4s %7d %7d %7.2f %7.2f %7.1f %9.0f %8.0f %6.2f %7.2f  %s" % (
            typ, impl, len(rs), ",".join(sorted({str(r["rc"]) for r in rs})), m["frames"], m["db_rows"],
            m["wall"], m["cpu"], m["rss_kb"] / 1024, per(m["frames"], m["wall"]), per(m["frames"], m["cpu"]),
            m["gw_cpu"], m["reader_cpu"], "; ".join(sorted(set(problems))) or "ok"))
    g, r = med[typ, "go"], med[typ, "ref"]
    same = g["digest"] == r["digest"] and len(g["digest"]) == 1
    same_db = g["db_digest"] == r["db_digest"] and len(g["db_digest"]) == 1
    ok = ok and same and same_db
    print("%-10s go/ref: wall %s, cpu %s, peak RSS %s, events/s %s, events/cpu-s %s; same events: %s, same DB: %s" % (
        typ, ratio(g["wall"], r["wall"]), ratio(g["cpu"], r["cpu"]), ratio(g["rss_kb"], r["rss_kb"]),
        ratio(per(g["frames"], g["wall"]), per(r["frames"], r["wall"])),
        ratio(per(g["frames"], g["cpu"]), per(r["frames"], r["cpu"])), "yes" if same else "NO",
        "yes" if same_db else "NO"))
print("result: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
EOF
