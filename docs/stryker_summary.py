"""Summarize a Stryker mutation-report.json: per file status counts and score, and the surviving mutants."""
import json, sys, collections
report = json.load(open(sys.argv[1]))
show = len(sys.argv) > 2 and sys.argv[2] == "--list"
total = collections.Counter()
for path, f in sorted(report["files"].items()):
    c = collections.Counter(m["status"] for m in f["mutants"])
    tested = c["Killed"] + c["Timeout"] + c["Survived"] + c["NoCoverage"]
    if tested == 0: continue
    total.update(c)
    score = 100.0 * (c["Killed"] + c["Timeout"]) / tested
    print(f"{path.split('/src/')[-1]:55} {score:6.2f}%  killed {c['Killed']:3} timeout {c['Timeout']:3} survived {c['Survived']:3} nocov {c['NoCoverage']:3}")
    if show:
        lines = f["source"].split("\n")
        for m in f["mutants"]:
            if m["status"] in ("Survived", "NoCoverage"):
                l = m["location"]["start"]["line"]
                print(f"    {m['status']:10} L{l:<4} {m['mutatorName']}: {m.get('replacement','')[:90]!r}   | {lines[l-1].strip()[:90]}")
tested = total["Killed"] + total["Timeout"] + total["Survived"] + total["NoCoverage"]
print(f"TOTAL {100.0*(total['Killed']+total['Timeout'])/tested:.2f}%  killed {total['Killed']} timeout {total['Timeout']} survived {total['Survived']} nocov {total['NoCoverage']} (compile errors {total['CompileError']}, ignored {total['Ignored']})")
