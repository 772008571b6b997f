"""make_example_data.py — rebuilds the real-data part of examples/data/ from ../shared/data,
deterministically (same inputs -> same bytes): copies what may ship whole, cuts the small
research-only slices, gzips big text with a fixed header (mtime 0, no name), and writes one
PROVENANCE.txt per folder with source, licence, the slicing rule, row counts and SHA-256.
Called by scripts/make_example_data.sh (which also generates the simulator logs).
usage: make_example_data.py SHARED_DATA_DIR OUT_DIR   (standard library only)"""
import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import sys

SRC, OUT = sys.argv[1], sys.argv[2]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def read(path):
    with open(path, "rb") as f:
        b = f.read()
    return gzip.decompress(b) if path.endswith(".gz") else b


def gz_bytes(b):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as g:
        g.write(b)
    return buf.getvalue()


class Folder:
    """Collects the files of one output folder and the lines of its PROVENANCE."""

    def __init__(self, name):
        self.dir = os.path.join(OUT, name)
        os.makedirs(self.dir, exist_ok=True)
        self.files = []

    def put(self, name, data, gz=False, rows=None):
        raw = data
        if gz:
            data = gz_bytes(raw)
            name += ".gz"
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)
        self.files.append((name, data, raw if gz else None, rows))

    def copy(self, src, name=None, rows=None):
        name = name or os.path.basename(src)
        shutil.copyfile(src, os.path.join(self.dir, name))
        with open(src, "rb") as f:
            data = f.read()
        raw = gzip.decompress(data) if name.endswith(".gz") else None
        self.files.append((name, data, raw, rows))

    def provenance(self, text):
        lines = [text.strip(), "", "FILES (rows exclude header lines; SHA-256 of the shipped bytes, "
                 "and of the uncompressed content for .gz)"]
        for name, data, raw, rows in self.files:
            r = f"  rows {rows:,}" if rows is not None else ""
            lines.append(f"  {name}  {len(data):,} bytes{r}")
            lines.append(f"    sha256 {sha(data)}")
            if raw is not None:
                lines.append(f"    sha256 {sha(raw)}  (uncompressed, {len(raw):,} bytes)")
        lines.append("")
        lines.append("Regenerate: scripts/make_example_data.sh (reads ../shared/data).")
        with open(os.path.join(self.dir, "PROVENANCE.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def data_lines(b):
    """(header line, [data lines]) keeping each line's bytes and ending exactly."""
    ls = b.splitlines(keepends=True)
    return ls[0], ls[1:]


def upstream(folder):
    with open(os.path.join(SRC, folder, "PROVENANCE.txt"), encoding="utf-8") as f:
        return f.read()


# ---- CDNOW: whole, MIT (lifetimes), licence file kept ----
def cdnow():
    d, s = Folder("cdnow"), os.path.join(SRC, "cdnow")
    master = read(os.path.join(s, "CDNOW_master.txt"))
    d.put("CDNOW_master.txt", master, gz=True, rows=len(master.splitlines()) - 1)
    d.copy(os.path.join(s, "CDNOW_sample.txt"), rows=len(read(os.path.join(s, "CDNOW_sample.txt")).splitlines()))
    for n in ("cdnow_customers_summary.csv", "cdnow_customers_summary_with_transactions.csv"):
        d.copy(os.path.join(s, n), rows=len(read(os.path.join(s, n)).splitlines()) - 1)
    d.copy(os.path.join(s, "LICENSE.lifetimes.txt"))
    d.provenance("""
DATASET: CDNOW customer purchase data, whole (as shipped in the MIT-licensed `lifetimes` package)
LICENCE: MIT, (c) 2015 Cameron Davidson-Pilon -- see LICENSE.lifetimes.txt, which must travel with
  the data. The original Fader/Hardie release states no licence of its own.
WHAT WAS DONE: all four files copied unchanged; CDNOW_master.txt (CRLF, whitespace-separated,
  header " customer_id  date number_of_cds  dollar_value") is gzipped (level 9, no name, mtime 0).
UPSTREAM PROVENANCE (from ../shared/data/cdnow/PROVENANCE.txt):
""" + upstream("cdnow"))


# ---- UCI Online Retail: whole, CC BY 4.0 ----
def uci():
    d, s = Folder("uci-online-retail"), os.path.join(SRC, "uci-online-retail")
    p = os.path.join(s, "online_retail.csv.gz")
    b = read(p)
    rows = sum(1 for _ in csv.reader(io.StringIO(b.decode("utf-8")))) - 1
    d.copy(p, rows=rows)
    d.provenance("""
DATASET: UCI "Online Retail" (Chen, Sain & Guo 2012), the whole file, 2010-12-01 .. 2011-12-09
LICENCE: Creative Commons Attribution 4.0 International (CC BY 4.0), as listed by UCI.
ATTRIBUTION (required when redistributing): Chen, D. (2015). Online Retail [Dataset]. UCI Machine
  Learning Repository. https://doi.org/10.24432/C5BW33
WHAT WAS DONE: online_retail.csv.gz copied unchanged (header InvoiceNo,StockCode,Description,
  Quantity,InvoiceDate,UnitPrice,CustomerID,Country; InvoiceDate "YYYY-MM-DD HH:MM:SS" UK local).
UPSTREAM PROVENANCE (from ../shared/data/uci-online-retail/PROVENANCE.txt):
""" + upstream("uci-online-retail"))


# ---- MovieLens latest-small: whole, GroupLens terms, README kept ----
def movielens():
    d, s = Folder("movielens-latest-small"), os.path.join(SRC, "movielens-latest-small")
    d.copy(os.path.join(s, "ratings.csv.gz"), rows=len(read(os.path.join(s, "ratings.csv.gz")).splitlines()) - 1)
    movies = read(os.path.join(s, "movies.csv"))
    d.put("movies.csv", movies, gz=True,
          rows=sum(1 for _ in csv.reader(io.StringIO(movies.decode("utf-8")))) - 1)
    for n in ("links.csv", "tags.csv"):
        b = read(os.path.join(s, n))
        d.copy(os.path.join(s, n), rows=sum(1 for _ in csv.reader(io.StringIO(b.decode("utf-8")))) - 1)
    d.copy(os.path.join(s, "README.txt"))
    d.provenance("""
DATASET: MovieLens ml-latest-small (GroupLens Research, generated 2018-09-26), whole
LICENCE / TERMS: GroupLens usage licence, in README.txt (ship it with the data): research use;
  redistribution allowed only under these same terms; cite F. Maxwell Harper and Joseph A.
  Konstan (2015), "The MovieLens Datasets: History and Context", ACM TiiS 5(4):19; do not imply
  endorsement; NO commercial or revenue-bearing use without permission from GroupLens.
WHAT WAS DONE: ratings.csv.gz, links.csv, tags.csv, README.txt copied unchanged; movies.csv
  gzipped (level 9, no name, mtime 0). CRLF line endings as in the GroupLens files.
UPSTREAM PROVENANCE (from ../shared/data/movielens-latest-small/PROVENANCE.txt):
""" + upstream("movielens-latest-small"))


# ---- Chinese reviews: balanced slices, research use ----
def rank_key(line):
    return sha(b"tide-example-slice:" + line)


def balanced(lines, group_of, per_group):
    """per_group lines of each group with the smallest salted hashes; kept in file order."""
    groups = {}
    for i, ln in enumerate(lines):
        groups.setdefault(group_of(ln), []).append((rank_key(ln), i))
    keep = set()
    for g in groups.values():
        g.sort()
        keep.update(i for _, i in g[:per_group])
    return [lines[i] for i in sorted(keep)]


def field(ln, k):
    return next(csv.reader([ln.decode("utf-8")]))[k]


def reviews():
    d, s = Folder("chinese-review-sentiment"), os.path.join(SRC, "chinese-review-sentiment")
    plan = [("online_shopping_10_cats.csv.gz", "online_shopping_10_cats_slice.csv",
             lambda ln: (field(ln, 0), field(ln, 1)), 100),
            ("waimai_10k.csv", "waimai_10k_slice.csv", lambda ln: field(ln, 0), 1000),
            ("ChnSentiCorp_htl_all.csv.gz", "ChnSentiCorp_htl_slice.csv", lambda ln: field(ln, 0), 1000)]
    for src, dst, group_of, k in plan:
        hdr, lines = data_lines(read(os.path.join(s, src)))
        sl = balanced(lines, group_of, k)
        body = hdr + b"".join(sl)
        d.put(dst, body, gz=len(body) > 256 * 1024, rows=len(sl))  # gzip big text
    d.copy(os.path.join(s, "ChineseNlpCorpus_README.md"))
    d.provenance("""
DATASET: small balanced slices of three Chinese review-sentiment corpora collected by
  SophonPlus/ChineseNlpCorpus (online_shopping_10_cats, waimai_10k, ChnSentiCorp_htl_all)
LICENCE / TERMS: RESEARCH USE ONLY. The source repository has no licence and the reviews are
  scraped texts of unknown authorship; these slices (<= 2,000 rows each) are for demos and tests
  only. The full corpora stay in ../shared/data.
WHAT WAS DONE: each data line (a whole CSV record: no record spans lines) is ranked by
  SHA-256("tide-example-slice:" + line bytes); within each group the lowest-ranked lines are kept,
  in their original file order, with the original header and bytes unchanged:
  - online_shopping_10_cats: 100 per (cat, label) -> 10 categories x 2 labels = 2,000 rows
  - waimai_10k: 1,000 per label -> 2,000 rows
  - ChnSentiCorp_htl_all: 1,000 per label -> 2,000 rows
  Slices over 256 KiB are gzipped (level 9, no name, mtime 0).
  Quirks of the source are kept (some texts start with U+FEFF; a review may be empty).
UPSTREAM PROVENANCE (from ../shared/data/chinese-review-sentiment/PROVENANCE.txt):
""" + upstream("chinese-review-sentiment"))


# ---- Taobao: whole users from the tail file, research use ----
def taobao():
    d, s = Folder("taobao-userbehavior"), os.path.join(SRC, "taobao-userbehavior")
    lines = read(os.path.join(s, "UserBehavior_tail114users.csv")).splitlines(keepends=True)
    users = []
    for ln in lines:
        u = ln.split(b",", 1)[0]
        if not users or users[-1][0] != u:
            users.append((u, []))
        users[-1][1].append(ln)
    keep = []
    for u, ls in users[1:]:  # the first user may be cut off at the start of the tail
        if len(keep) + len(ls) > 2000:
            break
        keep.extend(ls)
    d.put("UserBehavior_slice.csv", b"".join(keep), rows=len(keep))
    n_users = len({ln.split(b",", 1)[0] for ln in keep})
    d.provenance(f"""
DATASET: Alibaba Taobao "UserBehavior" (Tianchi dataset 649), a slice of whole users
LICENCE / TERMS: RESEARCH USE ONLY (Tianchi research dataset; no licence in the source
  repositories; re-hosting not clearly allowed). <= 2,000 rows for demos and tests; the full
  sample stays in ../shared/data.
WHAT WAS DONE: from UserBehavior_tail114users.csv (no header; user_id,item_id,category_id,
  behavior_type,timestamp; sorted by user then time) the first user (999477, possibly cut off)
  is skipped, then whole users are taken in file order until the next one would pass 2,000
  rows: {n_users} users, {len(keep)} rows, bytes unchanged (no header, LF).
UPSTREAM PROVENANCE (from ../shared/data/taobao-userbehavior/PROVENANCE.txt):
""" + upstream("taobao-userbehavior"))


# ---- Amazon All_Beauty: de-duplicated whole users, research use ----
def amazon():
    d, s = Folder("amazon-all-beauty-5core"), os.path.join(SRC, "amazon-all-beauty-5core")
    lines = read(os.path.join(s, "All_Beauty_5.json.gz")).splitlines(keepends=True)
    seen_line, seen_pair, dedup = set(), set(), []
    for ln in lines:
        if ln in seen_line:
            continue
        seen_line.add(ln)
        o = json.loads(ln)
        pair = (o["reviewerID"], o["asin"])
        if pair in seen_pair:
            continue
        seen_pair.add(pair)
        dedup.append((o["reviewerID"], ln))
    by_user = {}
    for u, ln in dedup:
        by_user.setdefault(u, []).append(ln)
    chosen, total = set(), 0
    for u in sorted(by_user):
        if total + len(by_user[u]) > 2000:
            break
        chosen.add(u)
        total += len(by_user[u])
    keep = [ln for u, ln in dedup if u in chosen]
    d.put("All_Beauty_5_slice.json", b"".join(keep), gz=True, rows=len(keep))
    d.provenance(f"""
DATASET: Amazon Review Data (2018) "All_Beauty" 5-core (Ni, Li & McAuley, EMNLP 2019), a
  de-duplicated slice of whole users
LICENCE / TERMS: RESEARCH USE ONLY (UCSD research data, no open licence). <= 2,000 rows for demos
  and tests; the full file stays in ../shared/data.
WHAT WAS DONE: All_Beauty_5.json.gz (JSON Lines) had {len(lines):,} lines; exact duplicate lines
  were dropped, then repeated (reviewerID, asin) pairs (first kept): {len(dedup):,} reviews by
  {len(by_user):,} users. Users were taken in reviewerID order, whole, until the next would pass
  2,000 rows: {len(chosen)} users, {len(keep):,} reviews, lines unchanged and in file order, gzipped
  (level 9, no name, mtime 0).
UPSTREAM PROVENANCE (from ../shared/data/amazon-all-beauty-5core/PROVENANCE.txt):
""" + upstream("amazon-all-beauty-5core"))


if __name__ == "__main__":
    for f in (cdnow, uci, movielens, reviews, taobao, amazon):
        f()
