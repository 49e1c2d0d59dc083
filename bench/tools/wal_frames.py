#!/usr/bin/env python3
"""Counts what a SQLite commit writes: WAL frames per commit, split by the b-tree each page
belongs to.

    wal_frames.py DB WAL [COMMITS]

DB and WAL are copies of timber.db and timber.db-wal taken while a benchmark runs (copy the
WAL first, then the database). The last COMMITS commits (default 2000) are counted. Pages
are mapped to tables and indexes with SQLite's dbstat virtual table, which Python's sqlite3
module has built in.
"""
import collections
import sqlite3
import struct
import sys


def commits(wal):
    """Page numbers written by each commit, oldest first."""
    data = open(wal, "rb").read()
    page_size = struct.unpack(">I", data[8:12])[0]
    out, current, off = [], [], 32
    while off + 24 + page_size <= len(data):
        page, db_size = struct.unpack(">II", data[off : off + 8])
        current.append(page)
        if db_size:  # a commit frame carries the database size
            out.append(current)
            current = []
        off += 24 + page_size
    return out


def main():
    db, wal = sys.argv[1], sys.argv[2]
    last = commits(wal)[-int(sys.argv[3]) if len(sys.argv) > 3 else -2000 :]
    owner = {p: name for name, p in sqlite3.connect(db).execute("SELECT name, pageno FROM dbstat")}
    by_tree = collections.Counter()
    for pages in last:
        for p in set(pages):
            by_tree[owner.get(p, "?")] += 1
    n = len(last)
    print(f"{n} commits, {sum(len(set(c)) for c in last) / n:.1f} distinct pages each")
    for name, count in by_tree.most_common():
        print(f"  {name}: {count / n:.1f}")


if __name__ == "__main__":
    main()
