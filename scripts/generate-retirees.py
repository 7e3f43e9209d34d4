#!/usr/bin/env python3
"""Synthetic retirees for demos and benchmarks, in the roster file format the service imports.

Format (api/src/retiree_file.rs): CSV with the header

    name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone,address,
    monthly_pension,party_member,special_groups,notes

or NDJSON (one object per line with the same keys, empty optional values omitted, party_member a JSON bool,
special_groups the same `group:from[:to]` text as the CSV column).

Every row is accepted by the service's checks of a single create:

* resident ID valid per GB 11643: 6-digit area = the first 6 digits of the row's community code (a real district),
  digits 7-14 the birth date, a 3-digit sequence whose last digit is odd for men and even for women, and the
  ISO 7064 MOD 11-2 check character; IDs are unique within the file (the sequence is allocated per
  (area, birth date, sex); when the 500 sequences of one are used up the row moves to the next birth date);
* sex agrees with the ID; birth_date is filled (agreeing with the ID) on about 80 % of rows, empty on the rest;
* retirement date = the birthday at 60 for men, at 50 or 55 for women, on some rows 1-6 months later; birth
  years are picked so that it is never before 1990-01-01 nor after today;
* category / management_level valid codes; 11-digit mobile phone starting 13, 15 or 18; address = the
  community's name without 居委会/村委会 plus a house number; monthly pension 2500.00-6500.00.

Disjoint from the demo data: `retiree-service seed-demo` (api/src/seed.rs) creates 300 retirees whose IDs use
any sequence 000-999, so sequence numbers cannot keep us apart; but it only uses the districts of the first 60
Xiamen communities (in practice 350203 思明区) and only birth days 1-28 of a month. So in the districts the seed
uses (computed from resources/divisions/xiamen-3502.csv the way seed.rs picks its communities) every generated
person is born on day 29, 30 or 31 of a month; in every other district any day. A generated file therefore
imports cleanly into a demo database (checked: the 300 seeded people are all in 350203, none born after the 28th,
and a 20,000-row file of that district imports into a demo database without a conflict). Dependants' IDs are not
unique in the schema and do not matter. IDs are unique within one file only: two files made with different seeds
can share IDs (import the second with on_conflict=skip, or make one larger file).

Speed (measured 2026-11-23 on the shared 2-core machine while other builds ran; pyenv CPython 3.11 built without
PGO): 1,000,000 rows in 17 s as CSV UTF-8 with BOM (about 58,000 rows/s, 153 MB), 17 s as GB18030 and 18 s as
NDJSON, about 145 MB of memory. `--self-test` checks 31,800 generated rows with an independent implementation
(check character from its definition, uniqueness, sex parity, dates, districts, the seed's districts, CRLF).

Examples:
    scripts/generate-retirees.py --count 1000000 --seed 1 --out /tmp/retirees.csv
    scripts/generate-retirees.py --count 200 --community 350205 --encoding gb18030 --out haicang.csv
    scripts/generate-retirees.py --count 10 --format ndjson
    scripts/generate-retirees.py --self-test
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import itertools
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
XIAMEN = REPO / "resources" / "divisions" / "xiamen-3502.csv"
COLUMNS = [
    "name", "id_number", "sex", "birth_date", "retirement_date", "category", "management_level",
    "community_code", "phone", "address", "monthly_pension", "party_member", "special_groups", "notes",
]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
EARLIEST_RETIREMENT = dt.date(1990, 1, 1)
# seed.rs: communities sorted with 350203001001 first, the first 60 taken.
SEED_COMMUNITIES = 60
SEED_FIRST = "350203001001"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
    "傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔"
)
GIVEN_MALE = "建国志强国华文彬德明金水福生振华水生明辉永庆家荣清泉天赐伟忠宝山炳坤俊杰海涛聪耀祖春来"
GIVEN_FEMALE = "秀英玉兰桂芳淑珍美玲丽华阿妹春花惠珍秀琴月娥碧霞素梅雪莲翠萍宝珠金凤丽娟淑贞巧云彩霞"
CATEGORIES = (
    # (code, weight, management levels to pick from)
    ("enterprise_employee", 60, ("city_managed", "district_managed")),
    ("individually_insured", 15, ("city_managed", "district_managed")),
    ("central_provincial_enterprise", 10, ("central_provincial_local",)),
    ("state_owned_enterprise", 10, ("city_managed", "district_managed")),
    ("flexible_employment", 5, ("district_managed",)),
)
SPECIAL_GROUPS = ("living_alone:2024-01-01", "living_alone:2024-01-01", "seriously_ill:2023-05-01",
                  "living_alone:2024-01-01;seriously_ill:2023-05-01:2024-04-30")


def read_divisions(path: Path) -> list[tuple[str, str]]:
    """(code, name) of every community in a division file (code,name,level,parent_code; .gz, BOM, GB18030)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        if (row.get("level") or "").strip() == "community":
            out.append((row["code"].strip(), row["name"].strip()))
    return out


def seed_areas() -> set[str]:
    """The districts whose IDs the demo seed uses (see the module docstring)."""
    try:
        communities = read_divisions(XIAMEN)
    except OSError:
        return {"350203"}
    codes = sorted((c for c, _ in communities if c.startswith("3502")), key=lambda c: (c != SEED_FIRST, c))
    return {c[:6] for c in codes[:SEED_COMMUNITIES]}


def short_name(name: str) -> str:
    """鸿山社区居委会 -> 鸿山社区, 渐美村委会 -> 渐美村 (the village keeps its 村)."""
    for suffix, keep in (("居民委员会", ""), ("村民委员会", "村"), ("居委会", ""), ("村委会", "村")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + keep
    return name


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return dt.date(d.year + years, 3, 1)


def add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


class Generator:
    """Makes rows; `rows(n)` yields lists of strings in COLUMNS order."""

    def __init__(self, communities: list[tuple[str, str]], seed: int | None, today: dt.date | None = None):
        if not communities:
            raise SystemExit("generate-retirees: no communities to put people in")
        self.today = today or dt.date.today()
        self.rng = random.Random(seed)
        seeded = seed_areas()
        areas = sorted({c[:6] for c, _ in communities})
        area_index = {a: i for i, a in enumerate(areas)}
        self.area_sum = [sum(int(ch) * w for ch, w in zip(a, WEIGHTS[:6])) for a in areas]
        # (code, district, district index, in the seed's districts, the 300 house-number addresses)
        self.communities = [(c, c[:6], area_index[c[:6]], c[:6] in seeded,
                             [f"{short_name(n)}{k}号" for k in range(1, 301)]) for c, n in communities]
        # Birth dates per (retirement age, only days 29-31), retiring at that age between 1990-01-01 and today
        # (the few-months delay is dropped when it would pass today). Each entry:
        # (ordinal, YYYYMMDD, ISO, weighted digit sum of YYYYMMDD, ISO retirement date without delay).
        self.births: dict[tuple[int, bool], list[tuple[int, str, str, int, str]]] = {}
        for age in (50, 55, 60):
            lo = dt.date(EARLIEST_RETIREMENT.year - age, 1, 1)
            entries = []
            d = lo
            while True:
                retired = add_years(d, age)
                if retired > self.today:
                    break
                if retired >= EARLIEST_RETIREMENT:
                    ymd = f"{d.year:04d}{d.month:02d}{d.day:02d}"
                    dsum = sum(int(ch) * w for ch, w in zip(ymd, WEIGHTS[6:14]))
                    entries.append((d.toordinal(), ymd, d.isoformat(), dsum, retired.isoformat()))
                d += dt.timedelta(days=1)
            self.births[(age, False)] = entries
            self.births[(age, True)] = [e for e in entries if e[1][6:] >= "29"]
        self.seq_sum = [sum(int(ch) * w for ch, w in zip(f"{s:03d}", WEIGHTS[14:])) for s in range(1000)]
        self.later: dict[int, str] = {}  # (ordinal * 64 + age) * 8 + months -> ISO retirement date
        # (area index, ordinal, male) packed into an int -> random start offset * 1000 + sequences used
        self.used: dict[int, int] = {}
        # Every name a sex can get: surname + one given character (30 %) or two (70 %), so one draw picks a name.
        self.names = {}
        for male, chars in ((True, GIVEN_MALE), (False, GIVEN_FEMALE)):
            ones = [a for a in chars]
            twos = [a + b for a in chars for b in chars]
            given = ones * round(0.3 * len(twos) / (0.7 * len(ones))) + twos
            self.names[male] = [s + g for s in SURNAMES for g in given]
        cat_table = []
        for code, weight, levels in CATEGORIES:
            cat_table += [(code, levels)] * weight
        self.categories = cat_table

    def retirement_later(self, o: int, age: int, months: int) -> str:
        key = (o * 64 + age) * 8 + months
        iso = self.later.get(key)
        if iso is None:
            d = add_years(dt.date.fromordinal(o), age)
            later = add_months(d, months)
            iso = (later if later <= self.today else d).isoformat()
            self.later[key] = iso
        return iso

    def rows(self, count: int):
        rnd = self.rng.random
        communities, nc = self.communities, len(self.communities)
        births, used, seq_sum, area_sum = self.births, self.used, self.seq_sum, self.area_sum
        categories, ncat = self.categories, len(self.categories)
        male_names, female_names = self.names[True], self.names[False]
        nmn, nfn = len(male_names), len(female_names)
        retirement_later = self.retirement_later
        groups, ng = SPECIAL_GROUPS, len(SPECIAL_GROUPS)
        phones = (13_000_000_000, 15_000_000_000, 18_000_000_000)
        check = CHECK
        seq3 = [f"{k:03d}" for k in range(1000)]
        cents = [f".{k:02d}" for k in range(100)]
        for _ in range(count):
            code, area, ai, seeded, addresses = communities[int(rnd() * nc)]
            male = rnd() < 0.5
            age = 60 if male else (50 if rnd() < 0.6 else 55)
            pool = births[(age, seeded)]
            npool = len(pool)
            i = int(rnd() * npool)
            entry = pool[i]
            key = ((entry[0] << 16) + ai) * 2 + male
            state = used.get(key)
            if state is None:
                state = int(rnd() * 500) * 1000
            elif state % 1000 >= 500:  # this birth date's sequences are used up: the next date with one free
                for _tries in range(npool):
                    i = i + 1 if i + 1 < npool else 0
                    entry = pool[i]
                    key = ((entry[0] << 16) + ai) * 2 + male
                    state = used.get(key)
                    if state is None:
                        state = int(rnd() * 500) * 1000
                        break
                    if state % 1000 < 500:
                        break
                else:
                    raise SystemExit(f"generate-retirees: every resident ID of area {area} is used; "
                                     "pick more communities or fewer rows")
            used[key] = state + 1
            seq = ((state // 1000 + state % 1000) % 500) * 2 + male
            o, ymd, iso, dsum, retired = entry
            r = rnd()
            if r >= 0.8:  # 1-6 months later on a fifth of the rows
                retired = retirement_later(o, age, int((r - 0.8) * 30) + 1)
            if male:
                sex, name = "male", male_names[int(rnd() * nmn)]
            else:
                sex, name = "female", female_names[int(rnd() * nfn)]
            category, levels = categories[int(rnd() * ncat)]
            yield (
                name,
                area + ymd + seq3[seq] + check[(area_sum[ai] + dsum + seq_sum[seq]) % 11],
                sex,
                iso if rnd() < 0.8 else "",
                retired,
                category,
                levels[int(rnd() * len(levels))],
                code,
                str(phones[int(rnd() * 3)] + int(rnd() * 1e9)),
                addresses[int(rnd() * 300)],
                str(2500 + int(rnd() * 4000)) + cents[int(rnd() * 100)],
                "true" if rnd() < 0.25 else "false",
                groups[int(rnd() * ng)] if rnd() < 0.05 else "",
                "",
            )


def write_csv(out, gen: Generator, count: int, batch: int = 20000) -> int:
    """CSV with CRLF line ends, as Excel and Python's csv module write them. No generated value holds a comma, a
    quote or a line break, so rows are joined directly (the csv module takes twice as long); the self-test reads
    the output back with the csv module."""
    out.write(",".join(COLUMNS) + "\r\n")
    rows = gen.rows(count)
    done = 0
    while done < count:
        n = min(batch, count - done)
        out.write("".join([",".join(r) + "\r\n" for r in itertools.islice(rows, n)]))
        done += n
    return done


def write_ndjson(out, gen: Generator, count: int) -> int:
    """One object per line. Every value is made here and holds no quote, backslash or control character, so the
    objects are formatted directly (json.dumps per row is three times slower); the self-test parses them back."""
    buf = []
    for row in gen.rows(count):
        (name, idn, sex, birth, retired, category, level, code, phone, address, pension, party, groups, notes) = row
        line = (f'{{"name":"{name}","id_number":"{idn}","sex":"{sex}",'
                + (f'"birth_date":"{birth}",' if birth else "")
                + f'"retirement_date":"{retired}","category":"{category}","management_level":"{level}",'
                f'"community_code":"{code}","phone":"{phone}","address":"{address}","monthly_pension":"{pension}",'
                f'"party_member":{party}'
                + (f',"special_groups":"{groups}"' if groups else "")
                + "}")
        buf.append(line)
        if len(buf) >= 20000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")
    return count


# --- independent check ---------------------------------------------------------------------------------------

def independent_check_char(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 computed from its definition: weight of position i (1-based from the left) is
    2^(18-i) mod 11, the check value c satisfies (sum + c) ≡ 1 (mod 11), and 10 is written X."""
    s = sum(int(ch) * pow(2, 17 - i, 11) for i, ch in enumerate(first17))
    c = (12 - s % 11) % 11
    return "X" if c == 10 else str(c)


def self_test() -> int:
    communities = read_divisions(XIAMEN)
    codes = {c for c, _ in communities}
    today = dt.date.today()
    problems: list[str] = []
    checked = 0
    for label, args in (("all Xiamen, gb18030 CSV", ("csv", "gb18030", None)),
                        ("the seed's district only, utf-8-sig CSV", ("csv", "utf-8-sig", "350203")),
                        ("NDJSON", ("ndjson", "utf-8", None))):
        fmt, encoding, prefix = args
        chosen = [c for c in communities if prefix is None or c[0].startswith(prefix)]
        buf = io.BytesIO()
        text = io.TextIOWrapper(buf, encoding=encoding, newline="")
        gen = Generator(chosen, seed=42)
        (write_csv if fmt == "csv" else write_ndjson)(text, gen, 10_000)
        text.flush()
        data = buf.getvalue()
        if fmt == "csv":
            if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
                problems.append(f"{label}: no BOM")
            crlf = data.count(b"\r\n")
            if crlf != 10_001 or data.count(b"\n") != crlf:
                problems.append(f"{label}: expected 10,001 CRLF line ends and no bare LF, found {crlf}")
            reader = csv.DictReader(io.StringIO(data.decode(encoding), newline=""))
            if reader.fieldnames != COLUMNS:
                problems.append(f"{label}: header {reader.fieldnames}")
            rows = list(reader)
        else:
            rows = [json.loads(line) for line in data.decode(encoding).splitlines()]
            for r in rows:
                if not isinstance(r["party_member"], bool):
                    problems.append(f"{label}: party_member not a bool")
                    break
                for k in COLUMNS:
                    r.setdefault(k, "")
        if len(rows) != 10_000:
            problems.append(f"{label}: {len(rows)} rows")
        seen: set[str] = set()
        for n, r in enumerate(rows, start=2):
            def bad(what: str) -> None:
                if len(problems) < 30:
                    problems.append(f"{label} line {n}: {what}: {r}")
            idn = r["id_number"]
            if len(idn) != 18 or not idn[:17].isdigit():
                bad("ID format")
                continue
            if independent_check_char(idn[:17]) != idn[17]:
                bad("check character")
            if idn in seen:
                bad("duplicate ID")
            seen.add(idn)
            if r["community_code"] not in codes or not r["community_code"].startswith(prefix or ""):
                bad("unknown community")
            if idn[:6] != r["community_code"][:6]:
                bad("area is not the community's district")
            born = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
            male = int(idn[16]) % 2 == 1
            if r["sex"] != ("male" if male else "female"):
                bad("sex does not agree with the 17th digit")
            if r["birth_date"] not in ("", born.isoformat()):
                bad("birth_date does not agree with the ID")
            if idn[:6] == "350203" and born.day < 29:
                bad("born on days 1-28 in the seed's district")
            retired = dt.date.fromisoformat(r["retirement_date"])
            if not EARLIEST_RETIREMENT <= retired <= today:
                bad("retirement date out of range")
            ages = (60,) if male else (50, 55)
            if not any(add_years(born, a) <= retired <= add_months(add_years(born, a), 6) for a in ages):
                bad("retirement date is not the birthday at 60 (men) or 50/55 (women), up to 6 months later")
            if r["category"] not in {c for c, _, _ in CATEGORIES}:
                bad("category")
            if r["management_level"] not in {"city_managed", "district_managed", "central_provincial_local"}:
                bad("management level")
            p = r["phone"]
            if not (len(p) == 11 and p.isdigit() and p[:2] in ("13", "15", "18")):
                bad("phone")
            if not (2500 <= float(r["monthly_pension"]) <= 6500) or len(r["monthly_pension"].split(".")[1]) != 2:
                bad("pension")
            if str(r["party_member"]).lower() not in ("true", "false"):
                bad("party_member")
            if not (2 <= len(r["name"]) <= 3) or any(not "\u4e00" <= ch <= "\u9fff" for ch in r["name"]):
                bad("name")
            if not r["address"].endswith("号") or "委会" in r["address"]:
                bad("address")
            checked += 1
    # The check itself against a published example (GB 11643 appendix: 11010519491231002X).
    if independent_check_char("11010519491231002") != "X":
        problems.append("independent check char is wrong on the standard's example")
    # Exhaustion moves to another birth date instead of repeating IDs: every birth pool squeezed to two dates, the
    # first nine times as likely, so it runs out of its 500 sequences per sex and the rest must go to the second.
    gen = Generator([c for c in communities if c[0].startswith("350205")], seed=1)
    d1, d2 = gen.births[(60, False)][100], gen.births[(60, False)][200]
    for key in gen.births:
        gen.births[key] = [d1] * 9 + [d2]
    ids = [row[1] for row in gen.rows(1800)]
    births = {i[6:14] for i in ids}
    if len(set(ids)) != len(ids) or len(births) != 2:
        problems.append(f"exhaustion: {len(ids) - len(set(ids))} duplicates, {len(births)} birth dates")
    else:
        checked += len(ids)
    for p in problems:
        print("FAIL", p)
    print(f"self-test: {checked} rows checked, {len(problems)} problems")
    return 1 if problems else 0


def main() -> int:
    head, _, rest = __doc__.partition("\n\n")
    ap = argparse.ArgumentParser(description=head, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000, help="rows (default 1000)")
    ap.add_argument("--out", help="file to write (default stdout)")
    ap.add_argument("--seed", type=int, help="random seed; the same seed, options and --today give the same file")
    ap.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                    help="the day retirement dates may not pass (default: today)")
    ap.add_argument("--divisions", type=Path, default=XIAMEN,
                    help="division CSV (code,name,level,parent_code; default resources/divisions/xiamen-3502.csv)")
    ap.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "gb18030"),
                    help="default utf-8-sig (UTF-8 with BOM, as Excel writes) for CSV, utf-8 for NDJSON")
    ap.add_argument("--format", choices=("csv", "ndjson"), default="csv")
    ap.add_argument("--community", metavar="CODE_PREFIX", default="",
                    help="only communities whose code starts with this, e.g. 350203 for one district")
    ap.add_argument("--self-test", action="store_true", help="check 10,000 generated rows independently and exit")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if args.count < 0:
        ap.error("--count must be 0 or more")
    communities = [c for c in read_divisions(args.divisions) if c[0].startswith(args.community)]
    if not communities:
        ap.error(f"no community in {args.divisions} has a code starting with {args.community!r}")
    encoding = args.encoding or ("utf-8-sig" if args.format == "csv" else "utf-8")
    newline = "" if args.format == "csv" else "\n"
    if args.out:
        out = open(args.out, "w", encoding=encoding, newline=newline, buffering=1 << 20)
    else:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline=newline, write_through=False)
    gen = Generator(communities, args.seed, args.today)
    try:
        (write_csv if args.format == "csv" else write_ndjson)(out, gen, args.count)
    except BrokenPipeError:
        return 0
    finally:
        try:
            out.close()
        except BrokenPipeError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
