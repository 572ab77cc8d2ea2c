"""The /scoreboard (部门绩效 · 通报) page, from its view model (dashboard/scoreboard.py)."""
from __future__ import annotations

from dash import html

from dashboard import formatting as fmt
from dashboard.scoreboard import Scoreboard
from layouts import drill_parts as dp
from layouts import tips
from layouts.drill_page import drill_page
from layouts.sharing_pages import WALL, department_link

RATE_COLUMNS = [("sharing_rate", "共享率", "percent"), ("aggregation_rate", "汇聚率", "percent"),
                ("cloud_migration_rate", "上云率", "percent")]
SCORE_COLUMNS = [("rank", "排名", "count"), ("department", "部门", "link"), ("score", "得分", "score"),
                 ("change", "较上期", "signed"), ("light", "信号灯", "light"), *RATE_COLUMNS]
APART_COLUMNS = [("department", "部门", "link"), ("reason", "不计分原因", "plain"), *RATE_COLUMNS]
PERIOD_TEXT = {"week": "上周", "month": "上月末"}


def weights_text(board: Scoreboard) -> str:
    total = sum(board.weights.values())
    return " + ".join(f"{tips.indicator(k).name} × {w / total:.0%}" for k, w in board.weights.items() if w > 0)


def score_text(value) -> str:
    return fmt.MISSING if value is None else f"{value * 100:.1f}"


def lagging_list(board: Scoreboard, as_of) -> html.Div:
    if board.lagging.empty:
        return html.P(f"没有得分低于 {board.yellow_at * 100:g} 分的部门", className="cw-muted")
    items = []
    for row in board.lagging.itertuples():
        low = [f"{tips.indicator(k).name} {fmt.percent(getattr(row, k))}" for k, _h, _t in RATE_COLUMNS
               if getattr(row, k) is not None and getattr(row, k) < board.yellow_at]
        change = "" if row.change is None else f"，较{PERIOD_TEXT[board.period]} {row.change * 100:+.1f} 分"
        tip = "\n".join([f"{row.name} 得分 {score_text(row.score)}", f"得分 = {weights_text(board)}",
                         *tips.lines("sharing_rate", as_of=as_of)])
        items.append(html.Li([
            html.Span(f"第 {row.rank} 名", className="cw-muted"), " ",
            html.B(row.name), "：得分 ", dp.tipped(score_text(row.score), tip), change,
            html.Span(f"（低于阈值：{'、'.join(low)}）" if low else "", className="cw-lag-detail"),
        ], className="cw-lagging-item"))
    return html.Ol(items, className="cw-lagging", id="scoreboard-lagging")


def scoreboard_page(board: Scoreboard, *, as_of, notices: list[str], sort, page: int) -> html.Div:
    ranked = board.ranked.assign(department=[department_link(d, n) for d, n in zip(board.ranked["dept_id"],
                                                                                  board.ranked["name"])],
                                 light=[dp.LIGHT_TEXT.get(v, fmt.MISSING) for v in board.ranked["light"]])
    apart = board.apart.assign(department=[department_link(d, n) for d, n in zip(board.apart["dept_id"],
                                                                               board.apart["name"])])
    rule = (f"得分 = {weights_text(board)}（满分 100；权重见配置 [scoreboard].weights）。"
            f"≥{board.green_at * 100:g} 分绿灯，{board.yellow_at * 100:g}–{board.green_at * 100:g} 分黄灯，"
            f"<{board.yellow_at * 100:g} 分红灯并列入通报。较上期：与{PERIOD_TEXT[board.period]}"
            f"（{fmt.day(board.previous_day)}）的得分相比。")
    body = [
        dp.url_state(),
        html.P(rule, className="cw-rule", id="scoreboard-rule"),
        dp.card(f"通报：低于阈值的部门（{len(board.lagging)} 个）", lagging_list(board, as_of)),
        dp.card(f"部门绩效排名（{len(board.ranked)} 个部门）", dp.grid("scoreboard", ranked, SCORE_COLUMNS, sort=sort,
                                                                page=page, page_size=20),
                dp.download_links("scoreboard", {})),
        dp.card(f"不计分的部门（{len(board.apart)} 个）", dp.grid("apart", apart, APART_COLUMNS, main=False) if len(apart)
                else html.P("所有部门都有目录条目与非涉密系统", className="cw-muted"),
                note="分母为空（无目录条目或无非涉密系统）：显示 —，不排名，不列入通报"),
    ]
    return drill_page("部门绩效 · 通报", [WALL, ("部门绩效", None)], body, query_notices=notices,
                      page_id="drill-scoreboard")
