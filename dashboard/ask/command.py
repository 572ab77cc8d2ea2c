"""``python run.py ask "句子" [--json] [--now 时刻]``: what a sentence resolves to, in Chinese or as JSON."""
from __future__ import annotations

import sys
from datetime import datetime
from urllib.parse import unquote

from dashboard.incident_query import PERIODS

FILTER_LABELS = {"region": "区域", "period": "统计期", "from": "起始日期", "to": "截止日期", "category": "事件分类",
                 "source": "事件来源", "status": "办理状态", "dept": "部门", "provider": "提供部门", "view": "大屏视图"}


def add_command(sub) -> None:
    ask = sub.add_parser("ask", help="一句话响应：把一句中文解析为视图链接、指令与识别出的词（离线，不联网）")
    ask.add_argument("sentence", metavar="句子", help="如 \"看看高新区本周城管的超期件\"，"
                                                    "或 \"请城管局今天18点前处置滨江区的占道经营\"")
    ask.add_argument("--json", action="store_true", help="以 JSON 输出同样的内容")
    ask.add_argument("--now", metavar="时刻", help="按这个时刻解析时间词（ISO 格式，北京时间，如 2026-12-01T10:30；"
                                                  "默认为当前时刻）")


def _now(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--now 的值「{text[:40]}」不是 ISO 时刻（应如 2026-12-01T10:30）") from None


def run(settings, args) -> int:
    import orjson

    from dashboard.ask import AskError, ask
    from dashboard.store import open_store

    try:
        now = _now(args.now)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    store = open_store(settings.app.store, settings.data_dir)
    if not store.datasets():
        print("尚无数据：请先运行 python run.py pull（或 serve）拉取本市数据，再解析句子", file=sys.stderr)
        return 1
    try:
        result = ask(args.sentence, store, settings, now=now)
    except AskError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(render_text(result))
    return 0


def render_text(result) -> str:
    """The result as the CLI prints it."""
    view = result.view
    lines = [f"句子：{result.sentence}", f"视图：{view.title}  {view.url}"]
    if view.filters:
        names = {e.value: e.label for e in result.entities}
        names.update(PERIODS)
        lines.append("  筛选：" + " · ".join(f"{FILTER_LABELS.get(k, k)} {names.get(v, v)}"
                                          for k, v in view.filters.items()))
    if view.url != unquote(view.url):
        lines.append(f"  （解码：{unquote(view.url)}）")
    order = result.instruction
    if order is None:
        lines.append("指令：无")
    else:
        lines += [f"指令：{order.text}（{order.action}）",
                  f"  承办部门：{_named(order.department, order.department_id)}",
                  f"  区域：{_named(order.region, order.region_id)}",
                  f"  事件：{order.incident_id or '—'}",
                  f"  事件分类：{order.category or '—'}",
                  f"  期限：{order.deadline.strftime('%Y-%m-%d %H:%M') if order.deadline else '—'}"]
    lines.append("识别的词：" + ("" if result.entities else "无"))
    for e in result.entities:
        value = f"（{e.value}）" if e.value and e.value != e.label else ""
        line = f"  第 {e.start + 1}–{e.end} 字「{e.text}」→ {e.kind_label}：{e.label}{value}，{e.via}"
        if e.alternatives:
            line += "；也可读作：" + "、".join(f"{a.to_json()['kind_label']} {a.label}" for a in e.alternatives)
        lines.append(line)
    lines.append("忽略的词：" + ("、".join(s.text for s in result.ignored) or "无"))
    lines.append("未识别的词：" + ("、".join(f"「{s.text}」（第 {s.start + 1}–{s.end} 字）" for s in result.unknown)
                               or "无"))
    lines += [f"提示：{n}" for n in result.notices]
    return "\n".join(lines)


def _named(name: str | None, ident: str | None) -> str:
    return f"{name}（{ident}）" if name else "—（未指明）"
