"""Search figures for docs/benchmarks.md: a reproducible corpus, query latencies, send cost.

    python -m parley.bench.search --database-url URL --messages 200000 [--seed 15]

Fills an empty database (migrated here) with members, rooms and `--messages` messages of
mixed Korean and English drawn from a seeded generator, builds the index, then times
first pages of 2-syllable Korean terms, 3+ character terms and two-term queries (p50/p95 over
`--queries` each). `--sends` compares the message writer's throughput with the index
(triggers and indexer) and without (triggers dropped, no indexer) on two more databases:
empty, or with `--sends-corpus` two copies of the corpus (the index at full size).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text

from parley import flows
from parley.chat.api import MessageWriter, Send
from parley.core.config import Settings
from parley.core.migrate import upgrade_database
from parley.core.runtime import Runtime
from parley.core.text import search_key
from parley.models import Base
from parley.search.api import (
    Filters,
    Indexer,
    grams_of_key,
    parse_query,
    reindex,
    search_messages,
)

SYLLABLES = "가나다라마바사아자차카타파하회의실내일서버점검공지일정보고자료확인부탁드립니다"
_WORDS = (
    "deploy server meeting report release build test review design cache queue index "
    "latency backup monitor alert ticket budget schedule lunch coffee weekend project"
)
ENGLISH = _WORDS.split()
ROOMS, MEMBERS = 50, 20


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    """2-syllable and 3-syllable Korean words (a Zipf-ish draw makes some common)."""
    two = list(dict.fromkeys("".join(rng.choices(SYLLABLES, k=2)) for _ in range(400)))
    three = list(dict.fromkeys("".join(rng.choices(SYLLABLES, k=3)) for _ in range(400)))
    return two, three


def body(rng: random.Random, two: list[str], three: list[str]) -> str:
    words = []
    for _ in range(rng.randint(3, 12)):
        pick = rng.random()
        if pick < 0.45:
            word = two[min(int(rng.paretovariate(1.2)) - 1, len(two) - 1)]
            words.append(word + rng.choice(["", "는", "를", "에서", "이", "도"]))
        elif pick < 0.7:
            words.append(three[min(int(rng.paretovariate(1.2)) - 1, len(three) - 1)])
        elif pick < 0.95:
            words.append(
                rng.choice(ENGLISH).capitalize() if rng.random() < 0.2 else rng.choice(ENGLISH)
            )
        else:
            words.append(str(rng.randint(0, 9999)))
    return " ".join(words)


async def fill(runtime: Runtime, count: int, seed: int) -> tuple[int, list[str], list[str]]:
    """Members, rooms (the searcher is in 40 of 50), `count` messages; the searcher's id."""
    rng = random.Random(seed)
    two, three = vocabulary(rng)
    tables = Base.metadata.tables
    now = datetime.now(UTC)
    async with runtime.db.engine.begin() as conn:
        await conn.execute(
            insert(tables["members"]),
            [
                {
                    "login_id": f"bench{n}",
                    "nickname": f"bench{n}",
                    "nickname_key": f"bench{n}",
                    "password_hash": "x",
                    "role": "user",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(MEMBERS)
            ],
        )
        members = [r[0] for r in await conn.execute(text("SELECT id FROM members ORDER BY id"))]
        await conn.execute(
            insert(tables["rooms"]),
            [
                {
                    "name": f"room {n}",
                    "name_key": f"room {n}",
                    "kind": "group",
                    "is_private": False,
                    "topic": "",
                    "capacity": 500,
                    "members_can_invite": False,
                    "member_count": MEMBERS,
                    "last_seq": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(ROOMS)
            ],
        )
        rooms = [r[0] for r in await conn.execute(text("SELECT id FROM rooms ORDER BY id"))]
        await conn.execute(
            insert(tables["room_members"]),
            [
                {
                    "room_id": r,
                    "member_id": m,
                    "role": "member",
                    "joined_at": now,
                    "last_read_seq": 0,
                }
                for i, r in enumerate(rooms)
                for m in members
                if m != members[0] or i < 40
            ],
        )
    seqs = dict.fromkeys(rooms, 0)
    for start in range(0, count, 5000):
        rows = []
        for _ in range(min(5000, count - start)):
            room = rng.choice(rooms)
            seqs[room] += 1
            rows.append(
                {
                    "room_id": room,
                    "seq": seqs[room],
                    "sender_id": rng.choice(members),
                    "kind": "text",
                    "body": body(rng, two, three),
                    "created_at": now,
                }
            )
        async with runtime.db.engine.begin() as conn:
            await conn.execute(insert(tables["messages"]), rows)
    async with runtime.db.engine.begin() as conn:
        for room, seq in seqs.items():
            await conn.execute(
                text("UPDATE rooms SET last_seq = :seq WHERE id = :id"), {"seq": seq, "id": room}
            )
    return members[0], two, three


async def bulk_index(runtime: Runtime) -> None:
    """PostgreSQL, a fresh corpus: the grams and counts the indexer would write (the same
    functions), copied with COPY in one transaction, and the queue emptied. Builds a large
    corpus in minutes instead of the background indexer's hour; foreign keys are not checked
    row by row (session_replication_role), since every id comes from `messages`."""
    async with runtime.db.engine.connect() as conn:
        pg = (await conn.get_raw_connection()).driver_connection
        assert pg is not None
        async with pg.transaction():
            await pg.execute("SET LOCAL session_replication_role = replica")
            counts: Counter[int] = Counter()
            grams: list[tuple[int, int]] = []
            query = (
                "SELECT id, body FROM messages WHERE id IN (SELECT message_id FROM search_pending)"
            )
            async for message_id, text_ in pg.cursor(query, prefetch=5000):
                for gram in grams_of_key(search_key(text_ or "")):
                    grams.append((gram, message_id))
                    counts[gram] += 1
                if len(grams) >= 500_000:
                    await pg.copy_records_to_table("search_grams", records=grams)
                    grams = []
            await pg.copy_records_to_table("search_grams", records=grams)
            await pg.copy_records_to_table("search_gram_counts", records=list(counts.items()))
            await pg.execute("DELETE FROM search_pending")


async def time_queries(runtime: Runtime, member: int, queries: list[str]) -> dict[str, float]:
    times = []
    for q in queries:
        terms = parse_query(q)
        started = time.perf_counter()
        async with runtime.db.read_sessions() as session:
            await search_messages(session, member, terms, Filters(), limit=20)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}


async def send_rate(url: str, indexed: bool, sends: int, *, corpus: bool = False) -> float:
    """Messages per second through the writer (200 in flight): with the triggers and the
    indexer running, or with the triggers dropped and no indexer (the same schema else).
    `corpus`: the database is a copy of a generated corpus (sends go to its searcher's
    rooms, into its full index); else it is empty and gets members and rooms only."""
    runtime = Runtime.build(Settings(database_url=url, secret_key="bench-" + "x" * 40))
    await upgrade_database(runtime.db.engine)
    if not indexed:
        on = " ON messages" if runtime.db.dialect == "postgresql" else ""
        async with runtime.db.engine.begin() as conn:
            for name in ("search_messages_insert", "search_messages_update"):
                await conn.execute(text(f"DROP TRIGGER IF EXISTS {name}{on}"))
    if corpus:
        async with runtime.db.engine.connect() as conn:
            member = int((await conn.execute(text("SELECT min(id) FROM members"))).scalar_one())
    else:
        member, _, _ = await fill(runtime, 0, 1)

    async def publish(frames: list[dict[str, Any]]) -> None:
        return None

    writer = MessageWriter(runtime.db, publish)
    writer.start()
    indexer = Indexer(runtime.db)
    if indexed:
        indexer.start()
    async with runtime.db.engine.connect() as conn:
        rooms = list(
            (await conn.execute(text("SELECT id FROM rooms ORDER BY id LIMIT 40"))).scalars()
        )
    rng = random.Random(2)
    two, three = vocabulary(rng)
    run = f"{time.time_ns():x}"  # a run on a database sent to before: new ids, not retries
    started = time.perf_counter()
    for start in range(0, sends, 200):
        futures = [
            writer.submit(Send(member, rooms[n % 40], f"b{run}-{start + n}", body(rng, two, three)))
            for n in range(min(200, sends - start))
        ]
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await indexer.stop()
    await writer.stop()
    await runtime.close()
    return sends / elapsed


async def query_figures(
    runtime: Runtime, member: int, two: list[str], three: list[str], args: argparse.Namespace
) -> None:
    """p50/p95 of first pages of each kind of query, after warming the caches."""
    await time_queries(runtime, member, two[:20])  # warm the caches and compiled statements
    rng = random.Random(args.seed + 1)
    cases = {
        "2-syllable Korean": [rng.choice(two[:200]) for _ in range(args.queries)],
        "3+ characters": [rng.choice(three[:200] + ENGLISH) for _ in range(args.queries)],
        "two terms": [
            f"{rng.choice(two[:50])} {rng.choice(three[:100] + ENGLISH)}"
            for _ in range(args.queries)
        ],
    }
    for name, queries in cases.items():
        figures = await time_queries(runtime, member, queries)
        print(f"{name:>18}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms")


async def main(args: argparse.Namespace) -> None:
    flows.install()
    settings = Settings(database_url=args.database_url, secret_key="bench-" + "x" * 40)
    runtime = Runtime.build(settings)
    if args.reuse:  # the corpus of an earlier run with the same seed
        member, (two, three) = 1, vocabulary(random.Random(args.seed))
    else:
        await upgrade_database(runtime.db.engine)
        started = time.perf_counter()
        member, two, three = await fill(runtime, args.messages, args.seed)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        if args.bulk_index:
            await bulk_index(runtime)
        else:
            await reindex(runtime.db, everything=False)
        indexed = time.perf_counter() - started
        how = "bulk-indexed (COPY)" if args.bulk_index else "indexed"
        print(f"{args.messages} messages: generated in {filled:.0f} s, {how} in {indexed:.0f} s")
        if runtime.db.dialect == "postgresql":  # what autovacuum does after a bulk load
            started = time.perf_counter()
            async with runtime.db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
            print(f"VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")
    if args.queries:
        await query_figures(runtime, member, two, three, args)
    await runtime.close()
    if args.sends and args.sends_urls:
        without, with_index = args.sends_urls
        base = await send_rate(without, False, args.sends, corpus=args.sends_corpus)
        indexed_rate = await send_rate(with_index, True, args.sends, corpus=args.sends_corpus)
        print(
            f"sends: {base:.0f}/s without the index, {indexed_rate:.0f}/s with "
            f"({indexed_rate / base:.0%})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--queries", type=int, default=200, help="per kind (0: none)")
    parser.add_argument("--reuse", action="store_true", help="query an earlier run's corpus")
    parser.add_argument(
        "--bulk-index",
        action="store_true",
        help="PostgreSQL: write the grams with COPY instead of the indexer (large corpora)",
    )
    parser.add_argument("--sends", type=int, default=0, help="also compare send throughput")
    parser.add_argument(
        "--sends-urls",
        nargs=2,
        metavar=("WITHOUT", "WITH"),
        help="two more empty databases for the send comparison",
    )
    parser.add_argument(
        "--sends-corpus",
        action="store_true",
        help="the two send databases are copies of the corpus, not empty (sends at full size)",
    )
    asyncio.run(main(parser.parse_args()))
