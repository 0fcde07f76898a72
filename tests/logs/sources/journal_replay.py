"""Stand-in for ``journalctl --output=json --follow``: replays a recorded file.

Usage: journal_replay.py RECORDED [journalctl args...]. Honours
``--after-cursor=C`` (prints the entries after the one whose __CURSOR is C) and
``--unit=U`` (only entries of those units); then follows: waits until killed,
or exits with status 1 when the file ``RECORDED.die`` exists (a journalctl crash).
``--stderr-bytes=N`` (not a journalctl option) first writes N bytes of warnings to
stderr, ending with "journal_replay: last warning", as a journalctl with a broken
journal file does.
"""

import json
import os
import sys
import time

recorded, args = sys.argv[1], sys.argv[2:]
after = next((a.split("=", 1)[1] for a in args if a.startswith("--after-cursor=")), "")
units = {a.split("=", 1)[1] for a in args if a.startswith("--unit=")}
noise = int(next((a.split("=", 1)[1] for a in args if a.startswith("--stderr-bytes=")), "0"))
if noise:
    warning = b"journal_replay: warning: /var/log/journal/x/system.journal corrupted or uncleanly shut down\n"
    sys.stderr.buffer.write(warning * (noise // len(warning) + 1) + b"journal_replay: last warning\n")
    sys.stderr.flush()
with open(recorded + ".args", "a") as f:
    f.write(" ".join(args) + "\n")
skipping = bool(after)
with open(recorded, "rb") as f:
    for line in f:
        obj = json.loads(line)
        if skipping:
            skipping = obj.get("__CURSOR") != after
            continue
        if units and obj.get("_SYSTEMD_UNIT") not in units:
            continue
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
while not os.path.exists(recorded + ".die"):
    time.sleep(0.05)
sys.exit(1)
