"""Regenerate the bundled sample datasets in examples/datasets/ (deterministic)."""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "examples" / "datasets"
SCHEMA = "bedrock-conversation-2024"
SYSTEM = "You are the support assistant of Acme Cloud Storage. Answer briefly and precisely."
PRODUCTS = ["Acme Drive", "Acme Vault", "Acme Sync", "Acme Backup", "Acme Share"]
ISSUES = [
    (
        "cannot log in after changing my password",
        "Sign out on every device, clear the saved password, then sign in with the new one. If it still fails, reset the password from the sign-in page.",
    ),
    (
        "see a quota exceeded warning",
        "Open Settings > Storage to see what uses space. Empty the trash (it counts toward the quota) or upgrade the plan.",
    ),
    (
        "want to share a folder with a colleague",
        "Right-click the folder, choose Share, enter your colleague's e-mail and pick Viewer or Editor.",
    ),
    (
        "get a sync conflict on a spreadsheet",
        "Both copies are kept. Open the one marked 'conflicted copy', merge the changes you need, then delete it.",
    ),
    (
        "need to restore a file deleted last week",
        "Deleted files stay in the trash for 30 days. Open Trash, select the file and choose Restore.",
    ),
    (
        "want two-factor authentication",
        "Go to Settings > Security > Two-factor authentication and scan the QR code with an authenticator app.",
    ),
]


def conversation(i: int, rng: random.Random) -> dict[str, object]:
    product = rng.choice(PRODUCTS)
    question, answer = ISSUES[i % len(ISSUES)]
    turns = [
        {
            "role": "user",
            "content": [{"text": f"Hello, I use {product} (ticket {1000 + i}) and I {question}."}],
        },
        {"role": "assistant", "content": [{"text": answer}]},
    ]
    if i % 3 == 0:
        turns += [
            {
                "role": "user",
                "content": [{"text": "Thanks. Will this also work on the mobile app?"}],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "text": f"Yes, {product} on iOS and Android has the same menus under the profile icon."
                    }
                ],
            },
        ]
    return {"schemaVersion": SCHEMA, "system": [{"text": SYSTEM}], "messages": turns}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    good = [conversation(i, rng) for i in range(120)]
    (OUT / "support-chat.nova.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in good)
    )

    bad_lines: list[str] = [json.dumps(r) for r in good[:20]]
    broken = json.loads(bad_lines[1])
    broken["messages"][1]["role"] = "user"  # E_ROLE_ORDER and E_ROLE_LAST
    bad_lines[1] = json.dumps(broken)
    broken = json.loads(bad_lines[2])
    broken["messages"][0]["content"][0]["text"] = "User: my invoice is wrong"  # E_RESERVED_STRING
    bad_lines[2] = json.dumps(broken)
    broken = json.loads(bad_lines[3])
    broken["messages"][1]["content"][0]["text"] = "   "  # E_EMPTY_TEXT
    bad_lines[3] = json.dumps(broken)
    bad_lines[4] = json.dumps(
        {"prompt": "How do I reset my password?", "completion": "Use the sign-in page."}
    )  # E_WRONG_FORMAT
    bad_lines[5] = bad_lines[5][:-20]  # E_JSON_INVALID (cut short)
    bad_lines[6] = ""  # E_BLANK_LINE
    broken = json.loads(bad_lines[7])
    broken["messages"][0]["contnet"] = broken["messages"][0].pop(
        "content"
    )  # E_UNKNOWN_KEY + E_MISSING_KEY
    bad_lines[7] = json.dumps(broken)
    bad_lines[8] = bad_lines[9]  # W_DUPLICATE
    long_text = " ".join(
        f"Log entry {n}: the sync daemon retried the upload of block {n * 7} and succeeded."
        for n in range(2500)
    )
    broken = json.loads(bad_lines[10])
    broken["messages"][0]["content"][0]["text"] = (
        "Please summarise this log: " + long_text
    )  # E_TOKENS_OVER_LIMIT
    bad_lines[10] = json.dumps(broken)
    (OUT / "support-chat.broken.jsonl").write_text("\n".join(bad_lines) + "\n")

    titan = []
    for i in range(60):
        question, answer = ISSUES[i % len(ISSUES)]
        titan.append(
            {"prompt": f"Customer {i}: I {question}. What should I do?", "completion": answer}
        )
    (OUT / "titan.prompt-completion.jsonl").write_text("".join(json.dumps(r) + "\n" for r in titan))


if __name__ == "__main__":
    main()
