"""Deterministic synthetic Bedrock fine-tuning datasets for the throughput benchmark.

Usage::

    python benchmarks/generate.py --format conversation --size-mb 100 --out conv.jsonl [--seed 7]
    python benchmarks/generate.py --check conv.jsonl      # verify a generated file's invariants

or, from Python, ``generate("conversation", 100 * 2**20, "conv.jsonl", seed=7)``.

Records look like real fine-tuning data: Q&A, customer-support dialogues, summarisation and
code help; record sizes are log-normal (most 1-8 KB, mean about 4 KB); about 10% of records
contain non-ASCII text (accented Latin, CJK, emoji); conversations have 1-4 user/assistant
exchanges and an optional system prompt; about 0.05% of records are very long (tens of KB) but
stay under the target model's per-record token limit. Every record is valid for its target model
(``amazon.nova-lite-v1:0:300k`` for ``conversation``, ``meta.llama3-1-8b-instruct-v1:0:128k``
for ``prompt_completion``), so a validator does its full work on every line; every record embeds
a unique counter so there are no duplicates.

Text comes from pre-built pools (one long sentence-structured string per domain and role, built
once from templates); a record takes random sentence-aligned slices of them, so generation costs
a few random numbers, a few slices and one ``orjson.dumps`` per record, and the output is written
in ~1 MiB blocks (bounded memory). Sizes are in MiB (``--size-mb 100`` = 100 * 2**20 bytes); the
file never exceeds the requested size.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import orjson

Format = Literal["conversation", "prompt_completion"]
FORMATS: Final[tuple[Format, ...]] = ("conversation", "prompt_completion")
MODELS: Final[dict[str, str]] = {
    "conversation": "amazon.nova-lite-v1:0:300k",
    "prompt_completion": "meta.llama3-1-8b-instruct-v1:0:128k",
}
# Per-record token limits of the target models (what a long record must stay under).
TOKEN_LIMITS: Final[dict[str, int]] = {"conversation": 32_000, "prompt_completion": 16_000}
SCHEMA_VERSION: Final = "bedrock-conversation-2024"
RESERVED: Final[tuple[str, ...]] = (
    "User:",
    "Bot:",
    "Assistant:",
    "System:",
    "<image>",
    "<video>",
    "[EOS]",
)
RESERVED_LOWER: Final[tuple[str, ...]] = tuple(r.lower() for r in RESERVED)
MIB: Final = 1024 * 1024
GENERATOR_VERSION: Final = 2  # bump whenever the output for a given seed changes
FLUSH_BYTES: Final = MIB

# Record-size model (characters of text per record; the JSON line adds ~100-200 bytes).
SIZE_MEDIAN: Final = 3_100.0
SIZE_SIGMA: Final = 0.6
SIZE_MIN: Final = 250
SIZE_MAX: Final = 40_000
LONG_PROBABILITY: Final = 0.0005
# Long records: English prose only (~4.5 chars per cl100k token), kept so that even a
# pessimistic 3.5 chars/token estimate stays under the model's limit.
LONG_CHARS: Final[dict[str, tuple[int, int]]] = {
    "conversation": (50_000, 100_000),  # Nova Lite: 32k tokens per record
    "prompt_completion": (45_000, 54_000),  # Llama 3.1 8B: 16k tokens per record
}
UNICODE_PROBABILITY: Final = 0.10
SYSTEM_PROBABILITY: Final = 0.6

SlotValue = Sequence[str] | Callable[[random.Random], str]

# --------------------------------------------------------------------------------------------
# Vocabulary and templates
# --------------------------------------------------------------------------------------------


def _money(rng: random.Random) -> str:
    return f"${rng.randint(5, 900)}.{rng.randint(0, 99):02d}"


def _days(rng: random.Random) -> str:
    return str(rng.randint(2, 14))


def _pct(rng: random.Random) -> str:
    return f"{rng.randint(1, 60)}.{rng.randint(0, 9)}"


def _year(rng: random.Random) -> str:
    return str(rng.randint(1987, 2024))


def _date(rng: random.Random) -> str:
    month = rng.choice(MONTHS)
    return f"{month} {rng.randint(1, 28)}"


def _code(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(rng.choice(letters) for _ in range(4)) + str(rng.randint(10, 99))


def _count(rng: random.Random) -> str:
    return f"{rng.choice((12, 40, 75, 120, 300, 850, 1200, 2500, 10000, 48000)):,}"


MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

COMMON_SLOTS: dict[str, SlotValue] = {
    "amount": _money,
    "days": _days,
    "pct": _pct,
    "year": _year,
    "date": _date,
    "code": _code,
    "n": _count,
    "month": MONTHS,
    "hours": ("4", "12", "24", "48", "72"),
    "product": (
        "wireless headphones",
        "standing desk",
        "espresso machine",
        "smart thermostat",
        "running shoes",
        "laptop sleeve",
        "robot vacuum",
        "4K monitor",
        "mechanical keyboard",
        "air purifier",
        "camping tent",
        "electric toothbrush",
        "phone case",
        "office chair",
        "water filter",
        "smartwatch",
    ),
    "plan": ("Basic", "Starter", "Family", "Student", "Standard"),
    "plan2": ("Premium", "Pro", "Business", "Team", "Enterprise"),
    "status": ("label created", "in transit", "out for delivery", "awaiting pickup", "delayed"),
    "failure": (
        "charging",
        "connecting to Wi-Fi",
        "pairing with my phone",
        "turning on",
        "syncing",
        "holding a charge",
    ),
    "defect": (
        "arrived with a cracked screen",
        "is missing the power adapter",
        "makes a loud rattling noise",
        "is the wrong colour",
        "does not match the description on the product page",
        "stops working after about ten minutes",
    ),
    "feature": ("checkout page", "order history", "notification settings", "wishlist", "login"),
    "action": ("switch tabs", "open the menu", "update my profile", "add a payment card"),
    "request": (
        "pause my subscription for a month",
        "change the billing date",
        "merge two accounts",
        "transfer my licence to a new computer",
        "download all my invoices at once",
    ),
    "troubleshoot": (
        "restarting the device",
        "clearing the browser cache",
        "reinstalling the app",
        "logging out and back in",
        "resetting the network settings",
        "updating to the latest firmware",
    ),
    "error": ("error 0x80070005", "a blank screen", "'connection refused'", "error code E-204"),
    "hub": ("Memphis", "Leipzig", "Louisville", "Rotterdam", "Dallas", "Reno"),
    "team": ("billing", "logistics", "technical support", "returns", "account security"),
    "carrier": ("UPS", "FedEx", "DHL", "USPS", "Royal Mail"),
    "concept_a": (
        "machine learning",
        "inflation",
        "photosynthesis",
        "a mutual fund",
        "the immune system",
        "compound interest",
        "plate tectonics",
        "a relational database",
        "supply and demand",
        "natural selection",
        "public-key cryptography",
        "the greenhouse effect",
    ),
    "concept_b": (
        "deep learning",
        "deflation",
        "cellular respiration",
        "an index fund",
        "a vaccine",
        "simple interest",
        "volcanism",
        "a document store",
        "price elasticity",
        "genetic drift",
        "symmetric encryption",
        "the ozone layer",
    ),
    "phenomenon": (
        "the sky look blue during the day",
        "bread go stale faster in the fridge",
        "ice float on water",
        "the moon always show the same face to Earth",
        "a bicycle stay upright when it moves",
        "coffee taste more bitter when it cools",
        "the stock market react to interest rate changes",
    ),
    "event": (
        "the invention of the printing press",
        "the Industrial Revolution",
        "the spread of the internet",
        "the discovery of penicillin",
        "the introduction of the shipping container",
        "the Green Revolution",
    ),
    "field": ("medicine", "global trade", "agriculture", "education", "manufacturing", "politics"),
    "topic": (
        "a four-day work week",
        "nuclear power",
        "remote schooling",
        "congestion pricing in cities",
        "universal basic income",
        "banning single-use plastics",
    ),
    "decision": (
        "choosing a programming language for a new project",
        "picking a health insurance plan",
        "buying a first home",
        "selecting a database for analytics",
        "planning a long hiking trip",
    ),
    "cause": (
        "shorter wavelengths scatter more strongly in the atmosphere",
        "water expands as it freezes and becomes less dense",
        "starch molecules recrystallise faster at low temperatures",
        "the angular momentum of the wheels resists changes in orientation",
        "investors discount future earnings at a higher rate",
        "tidal forces slowed the rotation until it matched the orbit",
    ),
    "effect": (
        "lowered costs dramatically",
        "made information far easier to share",
        "shifted where people lived and worked",
        "created entirely new professions",
        "changed how governments collected taxes",
    ),
    "aspect": ("learning patterns from data", "rising prices", "capturing energy", "pooled risk"),
    "aspect2": ("layered representations", "falling prices", "releasing energy", "fees"),
    "finding": (
        "the effect was smaller than expected but still statistically significant",
        "participants who slept more performed noticeably better",
        "costs fell by roughly a third over the following decade",
        "the original estimate had been too optimistic",
        "regional differences mattered more than national averages",
    ),
    "factor": (
        "your budget",
        "how much data you have",
        "the climate you live in",
        "how long you plan to keep it",
        "the size of your team",
    ),
    "consequence": (
        "small errors compound over time",
        "it changes the incentives for everyone involved",
        "the same rule applies in many other situations",
        "it explains most of the variation we observe",
    ),
    "misconception": (
        "more data always gives better results",
        "heavier objects fall faster",
        "interest rates only affect borrowers",
        "evolution always produces more complex organisms",
    ),
    "correction": (
        "quality and relevance matter just as much as volume",
        "air resistance is what makes the difference",
        "savers and businesses feel the change too",
        "simpler forms often succeed when they fit the environment",
    ),
    "org": (
        "Northwind Traders",
        "the regional transit authority",
        "Contoso Energy",
        "the national statistics office",
        "Fabrikam Health",
        "the city water board",
        "Tailspin Airlines",
        "the university hospital",
    ),
    "person": (
        "Maria Lopez",
        "David Chen",
        "Priya Raman",
        "Thomas Becker",
        "Aisha Okafor",
        "Lucas Martin",
        "Hannah Kim",
        "Samuel Wright",
    ),
    "role": ("chief executive", "finance director", "spokesperson", "lead researcher", "mayor"),
    "metric": ("revenue", "operating profit", "ridership", "patient admissions", "water usage"),
    "quarter": ("first quarter", "second quarter", "third quarter", "fourth quarter"),
    "direction": ("up", "down"),
    "driver": (
        "strong demand in its online channel",
        "lower fuel prices",
        "a new pricing model",
        "an unusually warm winter",
        "the opening of two new facilities",
    ),
    "city": ("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Oakridge"),
    "votes": ("seven to two", "five to four", "unanimously", "eight to one"),
    "project": (
        "new light-rail line",
        "flood barrier",
        "public library extension",
        "bike lane network",
        "waste water treatment plant",
    ),
    "criticism": (
        "the budget relied on optimistic assumptions",
        "residents had not been consulted early enough",
        "the timeline left little room for delays",
        "cheaper alternatives had not been studied",
    ),
    "benefit": (
        "thousands of new jobs",
        "lower emissions",
        "shorter commutes",
        "better protection against extreme weather",
    ),
    "journal": ("The Lancet", "Nature", "Science", "the Journal of Applied Economics"),
    "forecast": (
        "growth to slow in the second half of the year",
        "prices to stabilise by the spring",
        "the merger to close before the end of the year",
        "demand to recover gradually",
    ),
    "plan_action": ("open three new stores", "cut its workforce by 5 percent", "expand its fleet"),
    "region": ("Southeast Asia", "Northern Europe", "the Midwest", "Latin America"),
    "commitment": (
        "publish a detailed progress report every quarter",
        "review the safety procedures before the next phase",
        "work closely with local suppliers",
    ),
    "observation": (
        "staff turnover had fallen for the third consecutive year",
        "maintenance costs were rising faster than inflation",
        "most complaints concerned billing rather than service quality",
        "energy use per customer had declined steadily",
    ),
    "lang": ("Python", "JavaScript", "TypeScript", "Go", "SQL", "Rust"),
    "goal": (
        "remove duplicates from a list while keeping the order",
        "parse dates from a CSV file",
        "retry a failed HTTP request with backoff",
        "group records by customer id",
        "read a large file line by line",
        "validate an email address",
        "merge two sorted lists",
    ),
    "bug": (
        "returns None for some inputs",
        "gets slower and slower as the list grows",
        "crashes on empty input",
        "skips the last element",
        "uses far too much memory on big files",
    ),
    "secs": ("3", "12", "45", "90"),
    "cause_code": (
        "the list is scanned once for every element, which makes the loop quadratic",
        "the default argument is a mutable list that is shared between calls",
        "the loop stops one element early because of the range bounds",
        "the whole file is read into memory before it is processed",
        "the exception is swallowed, so the function silently returns None",
    ),
    "fix": (
        "keeping a set of the values you have already seen",
        "using None as the default and creating the list inside the function",
        "iterating over the file object directly instead of calling read()",
        "raising the error again after logging it",
        "sorting once up front and then using binary search",
    ),
    "improvement": (
        "runs in a single pass",
        "streams the input instead of loading it",
        "handles the empty case explicitly",
        "is easier to test",
    ),
    "complexity": ("O(n)", "O(n log n)", "linear"),
    "complexity2": ("O(n^2)", "quadratic", "O(n * m)"),
    "caveat": (
        "this assumes the values are hashable",
        "the order of keys is preserved since Python 3.7",
        "you may want to add a timeout as well",
        "the input is expected to be UTF-8 encoded",
    ),
    "company": ("Acme Outdoor", "Northwind", "Blue Yonder Books", "Contoso Mobile", "Lumen Bank"),
}

SUPPORT_USER: Final = (
    "I ordered the {product} on {date} and it still hasn't arrived.",
    "The tracking page for my {product} has said '{status}' for {days} days now.",
    "I was charged {amount} twice for the same {plan} subscription this month.",
    "My {product} stopped {failure} after the last update.",
    "Can I change the delivery address on an order that has already shipped?",
    "I'd like to return the {product} because it {defect}.",
    "The {feature} in your app keeps logging me out whenever I {action}.",
    "I never received the confirmation email after signing up for the {plan} plan.",
    "Is there any way to {request} without cancelling my account?",
    "I've already tried {troubleshoot}, but nothing changed.",
    "Honestly, this is the third time I'm contacting you about this.",
    "The package arrived, but the box was damaged and the {product} {defect}.",
    "Could you tell me when the {product} will be back in stock?",
    "I want to upgrade from the {plan} plan to {plan2}, but the button is greyed out.",
    "My discount code {code} says it has expired, but the email said it is valid until {date}.",
    "Thanks, that worked for the first device, but the second one still shows {error}.",
    "I need the invoice for order {code} for my expense report by the end of the week.",
    "Why was my card declined when I tried to pay {amount}? The bank says everything is fine.",
    "The delivery driver left the parcel at the wrong address.",
    "Please cancel my {plan} subscription before the next renewal on {date}.",
)
SUPPORT_AGENT: Final = (
    "I'm sorry to hear that your {product} hasn't arrived yet.",
    "I've checked the shipment, and it was held at the {hub} distribution centre.",
    "I've issued a refund of {amount} to your original payment method; "
    "it usually appears within {days} business days.",
    "Could you please confirm the email address associated with your account?",
    "As a next step, please try {troubleshoot} and let me know whether the issue persists.",
    "I've escalated this to our {team} team, and they will contact you within {hours} hours.",
    "You're right, the duplicate charge was caused by a payment processing error on our side.",
    "To change your plan, open Settings, select Billing, and choose {plan2}.",
    "Your replacement {product} will ship today with {carrier}, "
    "and you'll receive a tracking number by email.",
    "I completely understand how frustrating this must be, and I appreciate your patience.",
    "The code {code} expired on {date}, but I've applied an equivalent discount manually.",
    "If the problem continues after the update, a factory reset usually resolves it.",
    "Once an order has left the warehouse I can't change the address, "
    "but I can request a redirect with {carrier}.",
    "I've added a note to your account so that the next agent can see the full history.",
    "Your {plan} subscription has been cancelled, and you won't be charged on {date}.",
    "I've attached a prepaid return label; please drop the {product} off within {days} days.",
    "The invoice for order {code} has been sent to the email address on file.",
    "Thank you for your patience while I looked into this.",
    "Is there anything else I can help you with today?",
    "Card declines are sometimes triggered by the bank's fraud checks on amounts over {amount}.",
)
QA_USER: Final = (
    "What is the difference between {concept_a} and {concept_b}?",
    "Why does {phenomenon}?",
    "How did {event} change {field}?",
    "Can you explain {concept_a} in simple terms?",
    "I read that {misconception}. Is that actually true?",
    "What are the main arguments for and against {topic}?",
    "How would you explain {concept_a} to a high-school student?",
    "Which factors matter most when {decision}?",
    "Could you give me a concrete example of {concept_b} in everyday life?",
    "My textbook mentions {concept_a} only briefly, so I'd like a bit more detail.",
    "Is it fair to say that {event} was mostly about {field}?",
)
QA_ASSISTANT: Final = (
    "{concept_a} and {concept_b} are related, but they answer different questions.",
    "The key difference is that one focuses on {aspect}, while the other is about {aspect2}.",
    "In practice, this happens because {cause}.",
    "Historians often point to {event} as a turning point, because it {effect}.",
    "Researchers studied this in {year} and found that {finding}.",
    "The short answer is that it depends on {factor}.",
    "This matters because {consequence}.",
    "A common misconception is that {misconception}; in reality, {correction}.",
    "To make this concrete, imagine a town of {n} households.",
    "Arguments in favour of {topic} usually stress {benefit}.",
    "Critics of {topic} worry that {criticism}.",
    "If you remember one thing, remember that {consequence}.",
    "There is still active debate about how large the effect is.",
    "A good next step would be to read about {concept_b}, which builds on the same idea.",
    "Over time, {event} {effect}, and its influence on {field} is still visible today.",
)
DOCUMENT: Final = (
    "{org} reported {metric} of {amount} million for the {quarter}, "
    "{direction} {pct} percent compared with the same period last year.",
    "According to {person}, the {role} of {org}, the change was driven largely by {driver}.",
    "The city council of {city} voted {votes} to approve a {project} "
    "that will cost an estimated {amount} million.",
    "Critics argued that {criticism}, while supporters pointed to {benefit}.",
    "The study, published in {journal} in {year}, followed {n} participants over several years.",
    "Researchers found that {finding}.",
    "Construction is expected to begin in {month} and to finish by {year}.",
    "Analysts expect {forecast}.",
    "{org} also announced plans to {plan_action} in {region}.",
    "{person} said the team would {commitment}.",
    "The report noted that {observation}.",
    "Local residents interviewed for this article were divided on the proposal.",
    "A public hearing on the {project} is scheduled for {date}.",
    "Shares of {org} closed {direction} {pct} percent after the announcement.",
    "The board will review the plan again in {month}, when updated figures are available.",
)
SUMMARY: Final = (
    "{org} saw its {metric} go {direction} {pct} percent, mainly because of {driver}.",
    "The council approved the {project} by a vote of {votes}.",
    "Supporters expect {benefit}, but critics say {criticism}.",
    "A study of {n} participants found that {finding}.",
    "Management plans to {plan_action} in {region}.",
    "Analysts expect {forecast}.",
    "The report also notes that {observation}.",
    "Overall, the outlook is cautiously positive, although key risks remain.",
)
CODE_USER: Final = (
    "I'm getting {error} when I run this {lang} code.",
    "The function is supposed to {goal}, but it {bug}.",
    "How can I make this faster? It takes {secs} seconds on a list of {n} items.",
    "What's the idiomatic way to {goal} in {lang}?",
    "A colleague said my approach is wrong but couldn't explain why.",
    "Here is the relevant part of the code.",
    "I'd prefer a solution without extra dependencies if possible.",
    "It works on my machine, but it {bug} in production.",
)
CODE_ASSISTANT: Final = (
    "The problem is that {cause_code}.",
    "You can fix it by {fix}.",
    "Here is a version that {improvement}.",
    "This runs in {complexity} time instead of {complexity2}.",
    "Note that {caveat}.",
    "I'd also add a small unit test for the empty case.",
    "If you need to {goal} often, it's worth moving this into a helper function.",
    "Let me walk through the change line by line.",
    "With {n} items this should now finish in well under a second.",
)
# System prompts: one persona per domain plus a few of its guidelines.
SYSTEM_PERSONAS: Final[dict[str, tuple[str, ...]]] = {
    "support": (
        "You are a friendly customer support agent for {company}.",
        "You handle billing, delivery and returns questions for {company}.",
    ),
    "qa": (
        "You are a patient tutor who explains ideas step by step.",
        "You answer general-knowledge questions for curious adults.",
    ),
    "summarise": (
        "You summarise documents for busy executives.",
        "You are an editor who writes short, neutral news digests.",
    ),
    "code": (
        "You are a senior software engineer who reviews code carefully.",
        "You help developers debug and improve their programs.",
    ),
}
SYSTEM_GUIDELINES: Final[dict[str, tuple[str, ...]]] = {
    "support": (
        "Answer politely and concisely.",
        "Never promise refunds that you are not allowed to issue.",
        "Reply in the same language as the customer.",
        "Ask for the order number if the customer has not given it.",
        "Apologise once, then focus on solving the problem.",
        "Escalate to a human supervisor when the customer asks for one.",
        "Do not share internal policy documents.",
    ),
    "qa": (
        "Use plain language and give at least one concrete example.",
        "If you are unsure about a fact, say so instead of guessing.",
        "Keep answers under five short paragraphs.",
        "Mention the most common misconception when there is one.",
        "Avoid jargon, or explain it the first time you use it.",
    ),
    "summarise": (
        "Keep summaries factual and do not add information that is not in the source.",
        "Format the key points as short bullet points.",
        "Start with the single most important finding.",
        "Keep names, numbers and dates exactly as they appear in the document.",
        "Mention any uncertainty or disagreement the document reports.",
    ),
    "code": (
        "Prefer the standard library and explain the reasoning behind each change.",
        "Show complete, runnable code in fenced blocks.",
        "Point out edge cases such as empty input.",
        "Keep the original function names unless renaming is part of the fix.",
        "Mention the time complexity when it matters.",
    ),
}
CODE_SNIPPETS: Final = (
    "def {fname}(items: list[str]) -> list[str]:\n"
    "    result = []\n"
    "    for item in items:\n"
    "        if item not in result:\n"
    "            result.append(item)\n"
    "    return result",
    "def {fname}(path: str) -> dict[str, int]:\n"
    "    counts: dict[str, int] = {{}}\n"
    "    with open(path, encoding='utf-8') as fh:\n"
    "        for line in fh:\n"
    "            key = line.split(',')[{idx}].strip()\n"
    "            counts[key] = counts.get(key, 0) + 1\n"
    "    return counts",
    "async function {fname}(url, retries = {idx}) {{\n"
    "  for (let attempt = 0; attempt < retries; attempt++) {{\n"
    "    const response = await fetch(url);\n"
    "    if (response.ok) return response.json();\n"
    "    await new Promise((r) => setTimeout(r, 2 ** attempt * 100));\n"
    "  }}\n"
    "  throw new Error(`request failed after ${{retries}} attempts`);\n"
    "}}",
    "SELECT customer_id, COUNT(*) AS orders, SUM(total) AS revenue\n"
    "FROM orders\n"
    "WHERE created_at >= DATE '{year}-01-01'\n"
    "GROUP BY customer_id\n"
    "HAVING COUNT(*) > {idx}\n"
    "ORDER BY revenue DESC;",
    "func {fname}(a, b []int) []int {{\n"
    "\tout := make([]int, 0, len(a)+len(b))\n"
    "\ti, j := 0, 0\n"
    "\tfor i < len(a) && j < len(b) {{\n"
    "\t\tif a[i] <= b[j] {{\n"
    "\t\t\tout = append(out, a[i])\n"
    "\t\t\ti++\n"
    "\t\t}} else {{\n"
    "\t\t\tout = append(out, b[j])\n"
    "\t\t\tj++\n"
    "\t\t}}\n"
    "\t}}\n"
    "\treturn append(append(out, a[i:]...), b[j:]...)\n"
    "}}",
    "def {fname}(records: list[dict[str, object]]) -> dict[object, list[dict[str, object]]]:\n"
    "    groups: dict[object, list[dict[str, object]]] = defaultdict(list)\n"
    "    for record in records:\n"
    '        groups[record["customer_id"]].append(record)\n'
    "    return dict(groups)",
    "const {fname} = (email) => /^[^@\\s]+@[^@\\s]+\\.[a-z]{{2,}}$/i.test(email.trim());",
)
CODE_SLOTS: dict[str, SlotValue] = {
    **COMMON_SLOTS,
    "fname": (
        "dedupe",
        "count_by_key",
        "fetchWithRetry",
        "merge_sorted",
        "group_by_customer",
        "isValidEmail",
        "load_rows",
        "normalise_names",
    ),
    "idx": ("0", "1", "2", "3", "5"),
}

# Non-ASCII pools: short, natural sentences (customer support and Q&A in several languages).
LATIN_SENTENCES: Final[dict[str, tuple[str, ...]]] = {
    "fr": (
        "Bonjour, je n'ai toujours pas reçu ma commande passée il y a dix jours.",
        "Le colis est arrivé abîmé et l'écran est fissuré.",
        "Pourriez-vous m'envoyer une facture détaillée, s'il vous plaît ?",
        "Je suis désolé pour ce désagrément ; nous allons vous rembourser intégralement.",
        "Votre demande a été transmise à notre équipe de livraison.",
        "Merci beaucoup pour votre réponse rapide et très claire.",
        "La photosynthèse transforme l'énergie lumineuse en énergie chimique.",
        "Vous recevrez un e-mail de confirmation dès que le remboursement sera effectué.",
    ),
    "es": (
        "¿Podrían decirme cuándo llegará el paquete? Ya pasó una semana.",
        "Me cobraron dos veces la suscripción de este mes.",
        "Lamentamos mucho la confusión; el reembolso ya está en camino.",
        "¿Cuál es la diferencia entre la inflación y la deflación?",
        "La aplicación se cierra cada vez que intento añadir una tarjeta.",
        "Gracias por su paciencia, señora Muñoz.",
        "El envío saldrá mañana por la mañana con número de seguimiento.",
        "Según el informe, la economía creció un 2,5 % en el último año.",
    ),
    "de": (
        "Die Lieferung ist beschädigt angekommen, und das Gerät lässt sich nicht einschalten.",
        "Können Sie mir bitte erklären, wie die Rücksendung funktioniert?",
        "Wir entschuldigen uns für die Verzögerung und erstatten Ihnen die Versandkosten.",
        "Die Größe der Jacke passt leider nicht; ich möchte sie umtauschen.",
        "Für Rückfragen stehen wir Ihnen gerne zur Verfügung.",
        "Der Zinseszins sorgt dafür, dass Ersparnisse über die Jahre schneller wachsen.",
        "Ihr Konto wurde erfolgreich aktualisiert, Frau Schäfer.",
        "Bitte überprüfen Sie, ob die neueste Version der App installiert ist.",
    ),
    "pt": (
        "Olá, o meu pedido ainda não chegou e o rastreamento não é atualizado.",
        "A cobrança aparece duplicada no cartão de crédito.",
        "Pedimos desculpa pelo transtorno; a substituição será enviada hoje.",
        "Não consigo entrar na minha conta desde a última atualização.",
        "A devolução pode ser feita em qualquer agência dos correios.",
        "Obrigado pela atenção e pela solução rápida.",
    ),
}
CJK_SENTENCES: Final[dict[str, tuple[str, ...]]] = {
    "zh": (
        "我上周订购的耳机还没有到货，请帮我查一下物流信息。",
        "非常抱歉给您带来不便，我们已经为您安排了退款。",
        "请问这款产品支持七天无理由退货吗？",
        "您的订单已经发货，预计三到五个工作日送达。",
        "光合作用是植物利用光能把二氧化碳和水转化为有机物的过程。",
        "如果问题仍然存在，请尝试重新启动设备。",
        "感谢您的耐心等待，祝您生活愉快。",
        "报告显示，今年第一季度的销售额同比增长了百分之十二。",
    ),
    "ja": (
        "ご注文いただいた商品は明日発送される予定です。",
        "ログインできなくなってしまいました。どうすればいいですか？",
        "ご不便をおかけして申し訳ございません。",
        "返品の手続きはマイページから行うことができます。",
        "この関数は空のリストを渡すとエラーになります。",
        "お問い合わせいただきありがとうございます。",
        "複利とは、利息にもさらに利息がつく仕組みのことです。",
    ),
    "ko": (
        "환불은 영업일 기준 3~5일 이내에 처리됩니다.",
        "주문한 상품이 아직 도착하지 않았어요.",
        "불편을 드려 죄송합니다. 바로 확인해 보겠습니다.",
        "비밀번호를 재설정하는 방법을 알려 주세요.",
        "문의해 주셔서 감사합니다.",
        "배송 주소를 변경하고 싶습니다.",
    ),
}
EMOJI: Final = ("🙂", "🙏", "🚀", "✅", "📦", "😊", "👍", "🎉", "⚠️", "💡", "🔥", "😅", "❤️", "👀")
SIGNATURES: Final = (
    "José Müller, Zürich",
    "Zoë Brontë",
    "François Lefèvre",
    "Łukasz Wiśniewski",
    "Søren Kierkegård",
    "Ana Señorán",
    "Björn Ångström",
    "Chloé Dubois-Nuñez",
)

# Openers that carry the record counter (the unique detail of every record).
OPENERS: Final[dict[str, tuple[str, ...]]] = {
    "support": (
        "Hello, this is about order {id}. ",
        "Hi there, my ticket reference is {id}. ",
        "Good morning! Account number {id} here. ",
        "Hi, I'm writing about case {id}. ",
    ),
    "qa": (
        "Question {id} from my study list: ",
        "For my revision notes (item {id}): ",
        "Quick one, flashcard {id}: ",
        "",  # no opener: the id goes at the end instead (see RecordFactory.line)
    ),
    "summarise": (
        "Summarise document {id} below in a few sentences.\n\n",
        "Please write a short summary of report no. {id} for our newsletter.\n\n",
        "TL;DR request {id}: please condense the following article.\n\n",
        "Give me the key points of briefing {id}.\n\n",
    ),
    "code": (
        "I'm working on ticket PROJ-{id}. ",
        "Context: this is for build {id} of our service. ",
        "Hi! Reviewing pull request #{id}. ",
        "",
    ),
}
DOMAINS: Final = ("support", "qa", "summarise", "code")
DOMAIN_WEIGHTS: Final = (0.35, 0.30, 0.15, 0.20)
EXCHANGE_WEIGHTS: Final = (0.45, 0.27, 0.17, 0.11)  # 1, 2, 3, 4 user/assistant exchanges
USER_SHARE: Final[dict[str, float]] = {"support": 0.4, "qa": 0.25, "summarise": 0.8, "code": 0.5}
FOLLOW_UPS: Final = (
    "Thanks! Could you shorten that a little?",
    "That helps. What would you do next?",
    "Can you give one more example?",
    "OK, and what if that doesn't work?",
    "Great, thank you. One more question about the same topic.",
)

# --------------------------------------------------------------------------------------------
# Text pools
# --------------------------------------------------------------------------------------------


class _Slots(dict[str, str]):
    """``str.format_map`` mapping that draws a fresh random value for every placeholder."""

    def __init__(self, rng: random.Random, slots: Mapping[str, SlotValue]) -> None:
        super().__init__()
        self._rng = rng
        self._slots = slots

    def __missing__(self, key: str) -> str:
        value = self._slots[key]
        if callable(value):
            return value(self._rng)
        return self._rng.choice(value)


def _fill(
    rng: random.Random, template: str, slots: Mapping[str, SlotValue], capitalise: bool = True
) -> str:
    text = template.format_map(_Slots(rng, slots))
    return text[0].upper() + text[1:] if capitalise else text


class Corpus:
    """One long text of sentences; ``take`` returns random sentence-aligned slices of it."""

    def __init__(self, pieces: Iterator[str] | Sequence[str], target_chars: int) -> None:
        parts: list[str] = []
        bounds = [0]
        pos = 0
        for piece in pieces:
            parts.append(piece)
            pos += len(piece)
            bounds.append(pos)
            if pos >= target_chars:
                break
        self.text = "".join(parts)
        self.bounds = bounds

    def take(self, rng: random.Random, n_chars: int) -> str:
        """At least one whole sentence, about ``n_chars`` long (never much longer)."""
        text, bounds = self.text, self.bounds
        max_start = max(0, len(text) - n_chars)
        i = rng.randrange(max(1, bisect.bisect_right(bounds, max_start)))
        start = bounds[i]
        j = bisect.bisect_left(bounds, start + n_chars, i + 1)
        if j >= len(bounds):
            j = len(bounds) - 1
        if j > i + 1 and bounds[j] - start > n_chars * 1.15:
            j -= 1  # stop a sentence short rather than overshoot a lot
        return text[start : bounds[j]].strip()


def _prose(
    rng: random.Random,
    templates: Sequence[str],
    slots: Mapping[str, SlotValue],
    para: tuple[int, int] = (3, 7),
    sep: str = " ",
) -> Iterator[str]:
    """Endless sentences; a blank line every few sentences (paragraphs).

    Templates are dealt from shuffled decks, so neighbouring sentences rarely repeat.
    """
    left = rng.randint(*para)
    deck: list[str] = []
    while True:
        if not deck:
            deck = list(templates)
            rng.shuffle(deck)
        sentence = _fill(rng, deck.pop(), slots)
        left -= 1
        if left == 0:
            left = rng.randint(*para)
            yield sentence + "\n\n"
        else:
            yield sentence + sep


def _shuffled(rng: random.Random, sentences: Sequence[str], sep: str) -> Iterator[str]:
    while True:
        batch = list(sentences)
        rng.shuffle(batch)
        for sentence in batch:
            yield sentence + sep


CODE_LANGS: Final = ("python", "python", "javascript", "sql", "go", "python", "javascript")
CODE_LINKS: Final = (
    "It is called from here:",
    "The helper it uses looks like this:",
    "And this is the query behind it:",
    "For reference, the related function:",
)


def _code_blocks(rng: random.Random, count: int) -> list[str]:
    """Fenced code blocks, each a filled-in snippet tagged with its language."""
    blocks = []
    for _ in range(count):
        i = rng.randrange(len(CODE_SNIPPETS))
        body = _fill(rng, CODE_SNIPPETS[i], CODE_SLOTS, capitalise=False)
        blocks.append(f"```{CODE_LANGS[i]}\n{body}\n```")
    return blocks


@dataclass(frozen=True)
class Pools:
    user: dict[str, Corpus]
    assistant: dict[str, Corpus]
    code: list[str]
    latin: dict[str, Corpus]
    cjk: dict[str, Corpus]


def build_pools(seed: int) -> Pools:
    """Build every text pool (about 7 MB of text, a quarter of a second)."""
    rng = random.Random(f"bedrock-tuner-bench-pools-{seed}")
    big = 1_000_000
    user = {
        "support": Corpus(_prose(rng, SUPPORT_USER, COMMON_SLOTS), big),
        "qa": Corpus(_prose(rng, QA_USER, COMMON_SLOTS, para=(2, 4)), big),
        # documents to summarise; must be longer than the longest record
        "summarise": Corpus(_prose(rng, DOCUMENT, COMMON_SLOTS), 2 * big),
        "code": Corpus(_prose(rng, CODE_USER, COMMON_SLOTS), big // 2),
    }
    assistant = {
        "support": Corpus(_prose(rng, SUPPORT_AGENT, COMMON_SLOTS), big),
        "qa": Corpus(_prose(rng, QA_ASSISTANT, COMMON_SLOTS), big),
        "summarise": Corpus(_prose(rng, SUMMARY, COMMON_SLOTS, para=(1, 1)), big // 2),
        "code": Corpus(_prose(rng, CODE_ASSISTANT, CODE_SLOTS), big),
    }
    return Pools(
        user=user,
        assistant=assistant,
        code=_code_blocks(rng, 5_000),
        latin={k: Corpus(_shuffled(rng, v, " "), 200_000) for k, v in LATIN_SENTENCES.items()},
        cjk={
            k: Corpus(_shuffled(rng, v, " " if k == "ko" else ""), 100_000)
            for k, v in CJK_SENTENCES.items()
        },
    )


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def _unique_id(counter: int) -> str:
    # A bijection of the counter (odd multiplier mod 2**32), so ids look random but never repeat.
    return f"{(counter * 2_654_435_761) % 2**32:08X}-{counter}"


@dataclass
class _Stats:
    long_records: int = 0
    unicode_records: int = 0
    exchanges: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    with_system: int = 0


class RecordFactory:
    """Builds records; ``line(counter)`` returns one JSONL line (bytes, with the newline)."""

    def __init__(self, fmt: Format, seed: int) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
        self.fmt = fmt
        self.rng = random.Random(seed)
        self.pools = build_pools(seed)
        self.stats = _Stats()
        self.mu = math.log(SIZE_MEDIAN)

    # -- pieces ---------------------------------------------------------------------------
    def _size(self) -> tuple[int, bool]:
        rng = self.rng
        if rng.random() < LONG_PROBABILITY:
            lo, hi = LONG_CHARS[self.fmt]
            return rng.randint(lo, hi), True
        size = int(rng.lognormvariate(self.mu, SIZE_SIGMA))
        return min(max(size, SIZE_MIN), SIZE_MAX), False

    def _text(self, domain: str, role: str, n_chars: int) -> str:
        pools = self.pools
        rng = self.rng
        if domain == "code" and n_chars > 300 and rng.random() < 0.7:
            prose = (pools.user if role == "user" else pools.assistant)["code"]
            code = pools.code
            parts = [prose.take(rng, n_chars // 2)]
            left = n_chars - len(parts[0])
            parts.append(code[rng.randrange(len(code))])
            left -= len(parts[-1])
            while left > 400:
                parts.append(rng.choice(CODE_LINKS))
                parts.append(code[rng.randrange(len(code))])
                left -= len(parts[-1]) + 40
            if role == "assistant":
                parts.append(prose.take(rng, 150))
            return "\n\n".join(parts)
        corpus = (pools.user if role == "user" else pools.assistant)[domain]
        return corpus.take(rng, n_chars)

    def _foreign(self, kind: str, n_chars: int) -> str:
        rng = self.rng
        if kind == "latin":
            corpus = self.pools.latin[rng.choice(tuple(self.pools.latin))]
            return corpus.take(rng, n_chars)
        corpus = self.pools.cjk[rng.choice(tuple(self.pools.cjk))]
        return corpus.take(rng, max(20, n_chars // 3))  # ~3 UTF-8 bytes per character

    def _turns(self, total: int, long: bool) -> tuple[str, list[str], str | None]:
        """Returns (domain, texts alternating user/assistant, system prompt or None)."""
        rng = self.rng
        domain = "summarise" if long else rng.choices(DOMAINS, DOMAIN_WEIGHTS)[0]
        system: str | None = None
        if rng.random() < SYSTEM_PROBABILITY:
            guides = SYSTEM_GUIDELINES[domain]
            persona = rng.choice(SYSTEM_PERSONAS[domain])
            if "{" in persona:
                persona = persona.format(company=rng.choice(COMMON_SLOTS["company"]))
            k = rng.randint(0, len(guides) if total > 2_000 else 2)
            system = " ".join((persona, *rng.sample(guides, k)))
            total -= len(system)
        if self.fmt == "prompt_completion" or long:
            k = 1
        else:
            k = rng.choices((1, 2, 3, 4), EXCHANGE_WEIGHTS)[0]
        self.stats.exchanges[k - 1] += 1
        weights = [rng.uniform(0.5, 1.5) for _ in range(k)]
        scale = max(total, 2 * k * 40) / sum(weights)
        texts: list[str] = []
        for e, w in enumerate(weights):
            budget = w * scale
            share = USER_SHARE[domain] if e == 0 else 0.3
            if long:
                share = 0.97
            if e > 0 and rng.random() < 0.35:
                user = rng.choice(FOLLOW_UPS)
            else:
                user = self._text(domain, "user", max(40, int(budget * share)))
            texts.append(user)
            texts.append(self._text(domain, "assistant", max(40, int(budget * (1 - share)))))
        return domain, texts, system

    def _decorate(self, texts: list[str], n_chars: int) -> bool:
        """Make ~10% of records non-ASCII. Returns whether it did."""
        rng = self.rng
        if rng.random() >= UNICODE_PROBABILITY:
            return False
        kind = rng.choices(("latin", "cjk", "emoji", "names"), (0.35, 0.25, 0.25, 0.15))[0]
        if kind in ("latin", "cjk"):
            # The customer writes in another language; the reply comes in the same language.
            exchange = rng.randrange(len(texts) // 2)
            share = max(60, n_chars // max(2, len(texts)))
            texts[2 * exchange] = self._foreign(kind, share)
            texts[2 * exchange + 1] = self._foreign(kind, share)
        elif kind == "emoji":
            for i in range(0, len(texts), 2):
                texts[i] = f"{texts[i]} {rng.choice(EMOJI)}"
            texts[-1] = f"{texts[-1]} {rng.choice(EMOJI)}{rng.choice(EMOJI)}"
        else:
            texts[0] = f"{texts[0]}\n\nThanks,\n{rng.choice(SIGNATURES)}"
        return True

    # -- records --------------------------------------------------------------------------
    def line(self, counter: int) -> bytes:
        rng = self.rng
        total, long = self._size()
        domain, texts, system = self._turns(total, long)
        unicode = self._decorate(texts, total) if not long else False
        uid = _unique_id(counter)
        opener = rng.choice(OPENERS[domain])
        if opener:
            texts[0] = opener.format(id=uid) + texts[0]
        else:
            texts[0] = f"{texts[0]}\n\n(ref. {uid})"
        if self.fmt == "conversation":
            messages = [
                {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": t}]}
                for i, t in enumerate(texts)
            ]
            record: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION}
            if system is not None:
                record["system"] = [{"text": system}]
            record["messages"] = messages
        else:
            prompt = texts[0] if system is None else f"{system}\n\n{texts[0]}"
            record = {"prompt": prompt, "completion": texts[1]}
        data = orjson.dumps(record) + b"\n"
        st = self.stats
        st.long_records += long
        st.unicode_records += unicode
        st.with_system += system is not None
        return data


@dataclass(frozen=True)
class GenerateResult:
    path: str
    format: str
    seed: int
    records: int
    bytes: int
    seconds: float
    long_records: int
    unicode_records: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes / MIB / self.seconds if self.seconds > 0 else float("inf")


def generate(
    format: Format, size_bytes: int, path: str | os.PathLike[str], seed: int = 0
) -> GenerateResult:
    """Write a dataset of at most ``size_bytes`` bytes to ``path`` (atomically, via a temp file)."""
    if size_bytes <= 0:
        raise ValueError("size_bytes must be positive")
    start = time.perf_counter()
    factory = RecordFactory(format, seed)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    written = 0
    records = 0
    buf: list[bytes] = []
    buffered = 0
    with open(tmp, "wb") as fh:
        while True:
            line = factory.line(records)
            if written + buffered + len(line) > size_bytes and records > 0:
                break
            buf.append(line)
            buffered += len(line)
            records += 1
            if buffered >= FLUSH_BYTES:
                fh.write(b"".join(buf))
                written += buffered
                buf.clear()
                buffered = 0
        fh.write(b"".join(buf))
        written += buffered
    os.replace(tmp, out)
    return GenerateResult(
        path=str(out),
        format=format,
        seed=seed,
        records=records,
        bytes=written,
        seconds=time.perf_counter() - start,
        long_records=factory.stats.long_records,
        unicode_records=factory.stats.unicode_records,
    )


# --------------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------------


def _cl100k() -> Callable[[str], int] | None:
    """Token counter from the package's bundled cl100k vocabulary (None if unavailable)."""
    vocab = (
        Path(__file__).resolve().parent.parent
        / "layers/core/bedrock_tuner/datasets/vocab/cl100k_base.tiktoken"
    )
    try:
        import tiktoken
        import tiktoken.load
        import tiktoken_ext.openai_public as openai_public
    except ImportError:
        return None
    if not vocab.is_file():
        return None
    ranks = tiktoken.load.load_tiktoken_bpe(str(vocab))
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_a, **_k: ranks  # type: ignore[assignment]
    try:
        params = openai_public.cl100k_base()
    finally:
        openai_public.load_tiktoken_bpe = original
    enc = tiktoken.Encoding(**params)
    return lambda text: len(enc.encode_ordinary(text))


def _texts(record: Any, fmt: str, problems: list[str], lineno: int) -> list[str]:
    """Every text of a record, after checking the record's shape."""

    def bad(msg: str) -> list[str]:
        problems.append(f"line {lineno}: {msg}")
        return []

    if not isinstance(record, dict):
        return bad("not an object")
    if fmt == "prompt_completion":
        if set(record) != {"prompt", "completion"}:
            return bad(f"keys {sorted(record)}")
        texts = [record["prompt"], record["completion"]]
    else:
        if record.get("schemaVersion") != SCHEMA_VERSION:
            return bad("schemaVersion")
        if set(record) - {"schemaVersion", "system", "messages"}:
            return bad(f"keys {sorted(record)}")
        texts = []
        system = record.get("system", [])
        if not isinstance(system, list) or any(
            not isinstance(b, dict) or set(b) != {"text"} for b in system
        ):
            return bad("system must be a list of text blocks")
        texts.extend(b["text"] for b in system)
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            return bad("messages missing or empty")
        for i, message in enumerate(messages):
            want = "user" if i % 2 == 0 else "assistant"
            if not isinstance(message, dict) or message.get("role") != want:
                return bad(f"message {i}: expected role {want!r} (roles must alternate)")
            content = message.get("content")
            if not isinstance(content, list) or len(content) != 1 or set(content[0]) != {"text"}:
                return bad(f"message {i}: content must be one text block")
            texts.append(content[0]["text"])
        if messages[-1]["role"] != "assistant":
            return bad("last message must be from the assistant")
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            return bad("empty or non-string text")
    return texts


def check(path: str | os.PathLike[str], fmt: str | None = None) -> dict[str, Any]:
    """Verify a generated file's invariants; returns a summary with a ``problems`` list."""
    problems: list[str] = []
    seen: set[bytes] = set()
    sizes_in_range = 0
    records = 0
    total_bytes = 0
    max_bytes = 0
    unicode_records = 0
    long_lines: list[tuple[int, str]] = []  # (line number, all text) of records >= 20 KB
    max_chars = 0
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            size = len(line)
            body = line.rstrip(b"\n")
            if not body:
                problems.append(f"line {lineno}: blank line")
                continue
            try:
                record = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                problems.append(f"line {lineno}: invalid JSON ({exc})")
                continue
            if fmt is None:
                fmt = "prompt_completion" if "prompt" in record else "conversation"
            texts = _texts(record, fmt, problems, lineno)
            for text in texts:
                lower = text.lower()
                for reserved in RESERVED_LOWER:
                    if reserved in lower:
                        problems.append(f"line {lineno}: reserved string {reserved!r}")
            digest = hashlib.blake2b(body, digest_size=16).digest()
            if digest in seen:
                problems.append(f"line {lineno}: duplicate record")
            seen.add(digest)
            records += 1
            total_bytes += size
            max_bytes = max(max_bytes, size)
            sizes_in_range += 1024 <= size <= 8192
            unicode_records += not body.isascii()
            chars = sum(len(t) for t in texts)
            max_chars = max(max_chars, chars)
            if size >= 20_000:
                long_lines.append((lineno, "\n".join(texts)))
            if len(problems) > 50:
                problems.append("... stopping after 50 problems")
                break
    fmt = fmt or "conversation"
    limit = TOKEN_LIMITS[fmt]
    count_tokens = _cl100k()
    max_tokens = 0
    for lineno, text in long_lines:
        tokens = count_tokens(text) if count_tokens else math.ceil(len(text) / 4)
        max_tokens = max(max_tokens, tokens)
        if tokens >= limit or len(text) / 3.5 >= limit:
            problems.append(f"line {lineno}: ~{tokens} tokens, over the {limit} limit")
    mean = total_bytes / records if records else 0.0
    if not 3_500 <= mean <= 4_600:
        problems.append(f"mean record size {mean:.0f} B is not about 4 KB")
    if records and sizes_in_range / records < 0.75:
        problems.append(f"only {sizes_in_range / records:.0%} of records are 1-8 KB")
    if records and not 0.06 <= unicode_records / records <= 0.14:
        problems.append(f"{unicode_records / records:.1%} of records are non-ASCII, want ~10%")
    return {
        "path": str(path),
        "format": fmt,
        "records": records,
        "bytes": total_bytes,
        "mean_record_bytes": round(mean, 1),
        "share_1_to_8_kb": round(sizes_in_range / records, 4) if records else 0.0,
        "max_record_bytes": max_bytes,
        "max_record_chars": max_chars,
        "records_over_20kb": len(long_lines),
        "max_long_record_tokens": max_tokens,
        "token_counter": "cl100k_base" if count_tokens else "chars/4",
        "unicode_share": round(unicode_records / records, 4) if records else 0.0,
        "problems": problems,
        "ok": not problems,
    }


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--format", choices=FORMATS, help="record format to generate")
    parser.add_argument("--size-mb", type=float, help="target size in MiB (2**20 bytes)")
    parser.add_argument("--out", help="output JSONL path")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--check", metavar="PATH", help="verify a generated file and exit")
    args = parser.parse_args(argv)
    if args.check:
        summary = check(args.check, args.format)
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0 if summary["ok"] else 1
    if not (args.format and args.size_mb and args.out):
        parser.error("--format, --size-mb and --out are required (or use --check PATH)")
    result = generate(args.format, int(args.size_mb * MIB), args.out, args.seed)
    info = asdict(result) | {"mb_per_s": round(result.mb_per_s, 1)}
    info["seconds"] = round(result.seconds, 3)
    print(json.dumps(info), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
