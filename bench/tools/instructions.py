#!/usr/bin/env python3
"""Counts the instructions timber executes per request, with valgrind's callgrind.

    instructions.py [--timber BIN] [--requests N] [--history M] [--sends S] [--top K] [--keep DIR]

Wall-clock A/B runs on a shared machine move by ±15% from one run to the next, more than
most single changes are worth. The count of instructions a request executes in user space
does not move at all: the same binary and the same request give the same count to within a
few instructions. It leaves out the kernel (system calls, the socket, locks), so it is the
measure for work in timber's own code and its libraries, next to the timed runs of
timber-bench, not instead of them.

It seeds a fresh data directory through the REST API with the release binary running
normally (a Public group `big` of M imported messages, default 5,000), then starts the
same binary under callgrind on that directory and, for each request kind, makes 50 calls
to warm up, zeroes the counters, makes N calls (default 200) and dumps the counters. It
prints instructions per request for:

  ceiling         account_check of one account (timber-bench's ceiling)
  history_newest  group_msg_get_simple, the newest 20 messages
  history_deep    group_msg_get_simple, 20 messages at a tenth of the history

and each as a multiple of the ceiling. With --sends S it also counts S sends of a 60-byte
text message from 32 connections at once (so that the writer commits them in batches, as
under load), spread over 1,000 groups and into one group:

  send_spread     send_group_msg over 1,000 groups (timber-bench's send_spread)
  send_hot        send_group_msg into one group

Besides the total per send it gives the SQLite writer thread's share, which is what limits
sends (one thread executes every write). Batches under valgrind are not exactly those of a
timed run, so the counts of sends move by 1–2% from run to run.

With --top K it prints the K functions with the most instructions of their own in each kind
but the ceiling (for sends: on the writer thread). Needs valgrind (callgrind_control comes
with it).
"""
import argparse
import collections
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SDKAPPID = 1400000777
KEY = "bench-secret-key-0123456789abcdef"
ADMIN = "administrator"


class Server:
    """timber serving DATA_DIR on a free port, optionally under callgrind."""

    def __init__(self, binary, data_dir, callgrind_out=None):
        env = dict(
            os.environ,
            TIMBER_LISTEN="127.0.0.1:0",
            TIMBER_DATA_DIR=data_dir,
            TIMBER_LOG="warn",
            TIMBER_APPS=f'[{{sdkappid = {SDKAPPID}, key = "{KEY}"}}]',
        )
        cmd = [binary, "serve"]
        if callgrind_out:
            cmd = [
                "valgrind",
                "--tool=callgrind",
                # Every dump names its functions in full, so each file reads on its own.
                "--compress-strings=no",
                "--compress-pos=no",
                # One file per thread and dump: the writer's share of a send is its own file.
                "--separate-threads=yes",
                f"--callgrind-out-file={callgrind_out}",
            ] + cmd
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        first = self.proc.stdout.readline().strip()
        host, port = first.split("http://", 1)[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        sig = subprocess.check_output(
            [binary, "usersig", "--sdkappid", str(SDKAPPID), "--key", KEY, "--identifier", ADMIN],
            text=True,
        ).strip()
        self.query = f"sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={sig}&random=1&contenttype=json"

    def call(self, path, body):
        self.conn.request(
            "POST", f"/v4/{path}?{self.query}", json.dumps(body), {"content-type": "application/json"}
        )
        answer = self.conn.getresponse().read()
        if not answer.startswith(b'{"ActionStatus":"OK"'):
            sys.exit(f"{path} failed: {answer[:300]!r}")
        return answer

    def control(self, *args):
        subprocess.run(
            ["callgrind_control", *args, str(self.proc.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def seed(server, messages):
    now = int(time.time())
    server.call(
        "group_open_http_svc/import_group",
        {"Type": "Public", "Name": "big", "GroupId": "big", "Owner_Account": ADMIN, "CreateTime": now - 3600},
    )
    for first in range(0, messages, 7):
        batch = [
            {
                "From_Account": ADMIN,
                "SendTime": now - 60,
                "Random": i,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": f"history message {i}"}}],
            }
            for i in range(first, min(first + 7, messages))
        ]
        server.call("group_open_http_svc/import_group_msg", {"GroupId": "big", "MsgList": batch})


TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "a sixty-byte text message, as timber-bench sends it."}}]


def send_load(server, total, hot, first_random):
    """`total` sends from 32 connections at once, each with its own Random."""
    host, port = server.conn.host, server.conn.port
    per = total // 32

    def one_connection(k):
        conn = http.client.HTTPConnection(host, port, timeout=600)
        for i in range(per):
            n = first_random + k * per + i
            group = "hot" if hot else f"spread-{n * 7919 % 1000}"
            body = {"GroupId": group, "Random": n, "MsgBody": TEXT}
            conn.request(
                "POST",
                f"/v4/group_open_http_svc/send_group_msg?{server.query}",
                json.dumps(body),
                {"content-type": "application/json"},
            )
            answer = conn.getresponse().read()
            if not answer.startswith(b'{"ActionStatus":"OK"'):
                raise SystemExit(f"send_group_msg failed: {answer[:300]!r}")

    threads = [threading.Thread(target=one_connection, args=(k,)) for k in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * 32


def self_costs(path):
    """Instructions by function, not counting what it calls."""
    costs, fn, after_call = collections.Counter(), None, False
    for line in open(path, errors="replace"):
        if line.startswith("fn="):
            fn = line[3:].strip()
        elif line.startswith("calls="):
            after_call = True  # the next cost line is the call's, counted in the callee
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            if after_call:
                after_call = False
            elif len(fields) >= 2:
                costs[fn] += int(fields[1])
    return costs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--timber", default="target/release/timber")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--history", type=int, default=5000)
    ap.add_argument("--sends", type=int, default=0)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--keep", help="leave the callgrind files in this directory")
    args = ap.parse_args()
    binary = os.path.abspath(args.timber)
    work = tempfile.mkdtemp(prefix="timber-instructions-")
    data = os.path.join(work, "data")
    try:
        server = Server(binary, data)
        seed(server, args.history)
        server.stop()

        out = os.path.join(work, "callgrind.out")
        server = Server(binary, data, callgrind_out=out)
        kinds = {
            "ceiling": ("im_open_login_svc/account_check", {"CheckItem": [{"UserID": ADMIN}]}),
            "history_newest": ("group_open_http_svc/group_msg_get_simple", {"GroupId": "big", "ReqMsgNumber": 20}),
            "history_deep": (
                "group_open_http_svc/group_msg_get_simple",
                {"GroupId": "big", "ReqMsgNumber": 20, "ReqMsgSeq": args.history // 10},
            ),
        }
        counted = {}
        for name, (path, body) in kinds.items():
            for _ in range(50):
                server.call(path, body)
            server.control("--zero")
            for _ in range(args.requests):
                server.call(path, body)
            server.control("--dump=" + name)
            counted[name] = args.requests
        server.stop()

        if args.sends:
            # Sends get their own data directory: the sweeper's first pass over 1,001 groups
            # runs on the writer and must not fall into the read kinds' counts. It is waited
            # out here before anything is counted.
            send_data = os.path.join(work, "send-data")
            server = Server(binary, send_data)
            for g in ["hot"] + [f"spread-{i}" for i in range(1000)]:
                server.call(
                    "group_open_http_svc/create_group",
                    {"Type": "Public", "Name": g, "GroupId": g, "Owner_Account": ADMIN},
                )
            server.stop()
            server = Server(binary, send_data, callgrind_out=out + "-sends")
            time.sleep(5)
            random = 0
            for name in ["send_spread", "send_hot"]:
                random += send_load(server, 640, name == "send_hot", random)  # warm-up
                server.control("--zero")
                sent = send_load(server, args.sends, name == "send_hot", random)
                random += sent
                server.control("--dump=" + name)
                counted[name] = sent
            server.stop()

        print(f"\n{os.path.basename(binary)}: instructions per request (user space)")
        ceiling = None
        for name, n in counted.items():
            dumps = [
                f
                for f in glob.glob(out + "*")
                if f"\ndesc: Trigger: dump {name}\n" in open(f, errors="replace").read(4096)
            ]
            if not dumps:
                sys.exit(f"no callgrind dump for {name}")
            total, writer = 0, None
            for f in dumps:
                text = open(f, errors="replace").read()
                ir = int(re.search(r"^summary: (\d+)", text, re.M).group(1))
                total += ir
                # Only the SQLite writer inserts rows. (`in_savepoint`, the mark once, is not
                # on a send's path: sends run without a savepoint.)
                if "fn=sqlite3BtreeInsert\n" in text:
                    writer = (f, ir)
            ceiling = ceiling or total / n
            line = f"  {name:15} {total / n:10,.0f}  {total / n / ceiling:5.2f} × ceiling"
            if name.startswith("send") and writer:
                line += f", of which the writer thread {writer[1] / n:,.0f}"
            print(line)
            if args.top and name != "ceiling":
                costs = collections.Counter()
                for f in [writer[0]] if name.startswith("send") and writer else dumps:
                    costs.update(self_costs(f))
                whole = sum(costs.values())
                for fn, c in costs.most_common(args.top):
                    print(f"      {c / n:10,.0f}  {100 * c / whole:5.1f}%  {fn[:110]}")
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for f in glob.glob(out + "*"):  # the sends' files too (callgrind.out-sends.*)
                shutil.copy(f, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
