"""Did the hand rules' refusals earn their place beside the trained reader? (issue 17, item 5; tenth session)

The rules answerer refused, before or after choosing sentences, when a question named a number or a name no
document mentions, an order by number that no retrieved document is, a kind of fact (a date, an amount, ...) that
no chosen sentence states, a topic the order named by number never mentions, or a date whose order was not quoted.
This counts, over the 435 validation questions, where each check would fire on the trained reader's answers,
split by answerable / unanswerable and by whether the reader's answer already holds the keywords. The rules were
deleted after this ran; it runs at commit aab5495, where they still exist:

    git worktree add /tmp/at-aab5495 aab5495 && cd /tmp/at-aab5495
    policyqa eval training/data/validation.jsonl --out /tmp/eval-val --store /tmp/reader-store --reader trained
    python /path/to/ablate_rules.py /tmp/eval-val/results.jsonl /tmp/reader-store
"""
import json, sys
sys.path.insert(0, '.')
from assistant.settings import Settings
from assistant.core import build_assistant
from assistant.extractive import identifiers, proper_names, absent_instruments, _required, _parts_that_ask, question_parts, asked_topic, dated_documents
qs = {json.loads(l)['id']: json.loads(l) for l in open('training/data/validation.jsonl')}
res = [json.loads(l) for l in open(sys.argv[1])]
a = build_assistant(Settings(store=sys.argv[2]))
ex = a.extractive
def squash(s): return ''.join(s.lower().split())
tab = {}
for r in res:
    q = qs[r['id']]; question = r['question']
    answerable = bool(q.get('evidence'))
    unknown = [t for t in identifiers(question) if not ex.mentioned(t)] + [n for n in proper_names(question) if not ex._name_mentioned(n)]
    _, _, query, result, top = a.prepare(question)
    class C:  # chosen = cited quotes
        def __init__(s, t): s.text = t
    absent = absent_instruments(question, top, [C(c['quote']) for c in r['citations']])
    chosen = [C(c['quote']) for c in r['citations']]
    asking = _parts_that_ask(question_parts(question))
    required = [] if len(asking) > 1 else _required(asking[0] if asking else question)
    req = bool(chosen) and bool(required) and not any(e.search(c.text) for c in chosen for _, e in required)
    topic = asked_topic(question)
    top_fire = topic is not None and bool(chosen) and not any(topic.search(c.text) for c in chosen)
    passages, _ = a.passages_to_read(question, query, result, top)
    pool = ex.candidates(passages)
    date, dated = dated_documents(question, pool)
    cited = {c['source'] for c in r['citations']}
    dated_fire = bool(cited) and bool(top) and top[0].source in dated and not (cited & set(dated))
    kw = all(squash(k) in squash(r['answer']) for k in q.get('keywords', [])) and not r['refused']
    for name, fired in (('unknown', bool(unknown)), ('absent', bool(absent)), ('required', req), ('topic', top_fire), ('dated', dated_fire)):
        if fired:
            key = (name, 'answerable' if answerable else 'unanswerable', 'refused' if r['refused'] else 'answered', 'kw' if kw else 'nokw')
            tab[key] = tab.get(key, 0) + 1
for k, v in sorted(tab.items()): print(k, v)
print('unanswerable total', sum(1 for q in qs.values() if not q.get('evidence')), 'answerable', sum(1 for q in qs.values() if q.get('evidence')))
