"""The demo city's departments, and the tables derived from them: catalog, systems, exchange, network,
indicator and department history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from datasources.demo_city.common import (CITY_NAME, DELIBERATE_QUARANTINE, DEPARTMENT_HISTORY_DAYS, EXCHANGE_DAYS,
                                          HISTORY_DAYS, _epoch_day, _epoch_s, _fmt_day, _fmt_ts)
from datasources.demo_city.geography import CITY_RADIUS_KM, _VILLAGE_HEAD, _VILLAGE_TAIL, build_city


# short name, full name, kind, size (resources and systems), sensitivity, share of 城市 data, topics
_DEPARTMENTS = (
    ("公安局", "示范市公安局", "委办局", 3.0, 0.9, 0.30, "户籍人口|流动人口|机动车登记|驾驶人|交通违法|治安案件|出入境证件|视频监控点位|重点场所"),
    ("城管局", "示范市城市管理局", "委办局", 1.6, 0.0, 0.65, "市容秩序|违法建设|户外广告|环卫作业|渣土运输|城市部件|数字城管案件|停车泊位"),
    ("生态环境局", "示范市生态环境局", "委办局", 1.5, 0.0, 0.60, "空气质量|水环境质量|污染源|排污许可|环境执法|危险废物|噪声监测|环评审批"),
    ("交通运输局", "示范市交通运输局", "委办局", 1.6, 0.0, 0.55, "公交线路|公交车辆|出租车|道路运输许可|客运站|公路路网|网约车|交通流量"),
    ("卫生健康委", "示范市卫生健康委员会", "委办局", 2.0, 0.2, 0.15, "医疗机构|执业医师|出生医学证明|预防接种|居民健康档案|传染病监测|药品采购|家庭医生签约"),
    ("教育局", "示范市教育局", "委办局", 1.5, 0.0, 0.08, "学校名录|学籍|教师资格|招生入学|校车|学生资助|教育经费|校园安全"),
    ("民政局", "示范市民政局", "委办局", 1.6, 0.1, 0.05, "婚姻登记|低保对象|特困供养|社会组织|养老机构|殡葬服务|地名|残疾人补贴"),
    ("人社局", "示范市人力资源和社会保障局", "委办局", 2.0, 0.1, 0.05, "社保参保|就业登记|失业登记|职业技能鉴定|劳动仲裁|人才引进|养老金发放|工伤认定"),
    ("自然资源和规划局", "示范市自然资源和规划局", "委办局", 2.0, 0.1, 0.45, "不动产登记|土地出让|规划许可|国土调查|地理空间|测绘成果|矿产资源|耕地保护"),
    ("住建局", "示范市住房和城乡建设局", "委办局", 2.0, 0.0, 0.40, "商品房预售|房屋网签|建筑企业资质|施工许可|物业企业|房屋安全|老旧小区改造|保障性住房"),
    ("水利局", "示范市水利局", "委办局", 1.0, 0.0, 0.60, "水雨情|河湖长制|取水许可|水库|堤防|防汛物资|水土保持|农村供水"),
    ("农业农村局", "示范市农业农村局", "委办局", 1.2, 0.0, 0.30, "耕地|农业补贴|农产品质量|家庭农场|农民合作社|动物防疫|农机|高标准农田"),
    ("商务局", "示范市商务局", "委办局", 0.8, 0.0, 0.05, "外资企业|外贸进出口|商贸流通企业|成品油经营|单用途预付卡|电子商务|招商项目|市场运行监测"),
    ("文旅广电局", "示范市文化旅游广电局", "委办局", 0.9, 0.0, 0.20, "A级景区|旅行社|星级饭店|文物保护单位|演出场所|游客流量|广播电视|公共图书馆"),
    ("应急管理局", "示范市应急管理局", "委办局", 1.2, 0.1, 0.35, "危化品企业|安全生产许可|应急预案|救灾物资|自然灾害|应急避难场所|安全生产执法|应急救援队伍"),
    ("市场监管局", "示范市市场监督管理局", "委办局", 2.5, 0.0, 0.10, "市场主体登记|食品经营许可|特种设备|质量抽检|行政处罚|商标|计量器具|投诉举报"),
    ("医保局", "示范市医疗保障局", "委办局", 1.2, 0.1, 0.05, "医保参保|定点医药机构|医保结算|医保目录|异地就医|门诊慢特病|医保基金监管|医保缴费"),
    ("税务局", "国家税务总局示范市税务局", "其他", 1.2, 0.5, 0.03, "纳税人登记|税收征管|发票|纳税信用|欠税公告|社保费征收|减免税|个税汇算"),
    ("统计局", "示范市统计局", "委办局", 0.8, 0.0, 0.05, "国民经济核算|人口普查|经济普查|规上企业|统计年鉴|价格指数|农业统计|固定资产投资"),
    ("大数据中心", "示范市大数据中心", "事业单位", 1.5, 0.0, 0.30, "人口基础库|法人基础库|电子证照|数据共享交换|政务云资源|信用信息|城市运行指标|物联感知"),
    ("行政审批服务局", "示范市行政审批服务局", "委办局", 1.4, 0.0, 0.03, "审批事项|办件|企业开办|工程建设项目审批|证照批文|审批时限|中介服务|踏勘记录"),
    ("政务服务中心", "示范市政务服务中心", "事业单位", 1.0, 0.0, 0.05, "12345工单|窗口办件|好差评|预约取号|网上办事|服务事项|自助终端|帮办代办"),
    ("信访局", "示范市信访局", "委办局", 0.6, 0.5, 0.02, "信访件|来访登记|网上信访|信访督办|矛盾纠纷|重复信访|信访事项办理|领导接访"),
    ("司法局", "示范市司法局", "委办局", 0.8, 0.5, 0.02, "律师事务所|公证|法律援助|人民调解|社区矫正|司法鉴定|普法|行政复议"),
    ("财政局", "示范市财政局", "委办局", 1.0, 0.3, 0.02, "预算指标|国库集中支付|政府采购|非税收入|国有资产|政府债务|财政专项资金|惠民补贴"),
    ("审计局", "示范市审计局", "委办局", 0.5, 0.5, 0.02, "审计项目|审计发现问题|整改台账|审计报告|经济责任审计|审计计划"),
    ("发改委", "示范市发展和改革委员会", "委办局", 1.0, 0.1, 0.05, "固定资产投资项目|重点项目|价格监测|社会信用|能源消费|节能审查|招投标|项目储备"),
    ("工信局", "示范市工业和信息化局", "委办局", 0.9, 0.0, 0.10, "规上工业企业|专精特新企业|工业园区|信息化项目|5G基站|能耗监测|中小企业|技术改造"),
    ("科技局", "示范市科学技术局", "委办局", 0.7, 0.0, 0.05, "高新技术企业|科技项目|科技成果|研发投入|科技人才|孵化器|技术合同|创新平台"),
    ("林业局", "示范市林业局", "委办局", 0.6, 0.0, 0.50, "森林资源|林地|古树名木|森林防火|林木采伐|湿地|野生动物|林长制"),
    ("气象局", "示范市气象局", "其他", 0.6, 0.0, 0.85, "气象观测|天气预报|气象预警|雷电|降水|气候|农业气象|空气质量预报"),
    ("消防救援支队", "示范市消防救援支队", "其他", 0.8, 0.4, 0.40, "消防重点单位|火灾|消防设施|消防监督检查|消防水源|救援出动|消防车辆|微型消防站"),
    ("住房公积金中心", "示范市住房公积金管理中心", "事业单位", 0.7, 0.1, 0.02, "公积金缴存|公积金提取|公积金贷款|缴存单位|贷款逾期|异地转移"),
    ("档案局", "示范市档案局", "委办局", 0.4, 0.1, 0.02, "档案目录|馆藏档案|档案利用|婚姻档案|开放档案|数字档案"),
    ("退役军人事务局", "示范市退役军人事务局", "委办局", 0.5, 0.2, 0.02, "退役军人|优抚对象|拥军优属|退役安置|褒扬纪念|服务站"),
    ("国资委", "示范市人民政府国有资产监督管理委员会", "委办局", 0.5, 0.2, 0.05, "国有企业|国有资产|产权登记|投资监管|企业负责人|财务快报"),
    ("人防办", "示范市人民防空办公室", "委办局", 0.4, 0.6, 0.30, "人防工程|警报器|疏散基地|人防易地建设费|防空演练|人防指挥"),
    ("机关事务局", "示范市机关事务管理局", "委办局", 0.4, 0.1, 0.05, "公务用车|办公用房|公共机构能耗|机关食堂|资产配置|会议服务"),
    ("城投集团", "示范市城市建设投资集团有限公司", "国有企业", 0.6, 0.0, 0.60, "城建项目|道路桥梁|公共停车场|综合管廊|土地储备|资产运营"),
    ("供水公司", "示范市供水有限公司", "国有企业", 0.5, 0.0, 0.80, "供水管网|水厂|用水户|水质监测|抄表|停水计划|管网漏损"),
)
_DISTRICT_TOPICS = "网格事件|常住人口|辖区企业|重点项目|民生服务|城市部件|财政收支|社区（村）"
_LAGGING_CANDIDATES = ("档案局", "人防办", "林业局", "退役军人事务局", "机关事务局", "农业农村局", "水利局",
                       "商务局", "科技局", "文旅广电局", "统计局")
_STARS = ("大数据中心", "政务服务中心", "行政审批服务局", "市场监管局")
# providers and consumers that carry most of the data exchange
_PROVIDER_WEIGHT = {"公安局": 5, "市场监管局": 4, "人社局": 4, "民政局": 3, "大数据中心": 5, "自然资源和规划局": 3,
                    "住建局": 3, "卫生健康委": 3, "税务局": 3, "医保局": 3, "行政审批服务局": 3, "政务服务中心": 2,
                    "教育局": 2, "交通运输局": 2, "城管局": 2, "生态环境局": 2, "统计局": 2, "气象局": 2}
_CONSUMER_WEIGHT = {"政务服务中心": 5, "行政审批服务局": 5, "大数据中心": 4, "公安局": 2, "人社局": 2, "民政局": 2,
                    "医保局": 2, "住房公积金中心": 2, "税务局": 2, "财政局": 2, "应急管理局": 2, "城管局": 2}


@dataclass
class Departments:
    ids: list[str]
    names: list[str]
    shorts: list[str]
    kinds: list[str]
    size: np.ndarray
    sens: np.ndarray
    city_share: np.ndarray
    topics: list[list[str]]
    diligence: np.ndarray
    lagging: list[str]


@lru_cache(maxsize=4)
def build_departments(seed: int) -> Departments:
    rng = np.random.default_rng([seed, 0xDE9])
    rows = list(_DEPARTMENTS)
    for d in build_city(seed).districts:
        rows.append((f"{d['name']}政府", f"{CITY_NAME}{d['name']}人民政府", "区县政府", 1.0, 0.05, 0.30, _DISTRICT_TOPICS))
    shorts = [r[0] for r in rows]
    diligence = np.clip(rng.beta(5, 2, len(rows)), 0.55, 0.97)
    lagging = sorted(rng.choice(_LAGGING_CANDIDATES, size=4, replace=False).tolist(), key=shorts.index)
    for i, s in enumerate(shorts):
        if s in lagging:
            diligence[i] = rng.uniform(0.08, 0.25)
        elif s in _STARS:
            diligence[i] = rng.uniform(0.9, 0.98)
    return Departments(
        ids=[f"D{i + 1:03d}" for i in range(len(rows))], names=[r[1] for r in rows], shorts=shorts,
        kinds=[r[2] for r in rows], size=np.array([r[3] for r in rows]), sens=np.array([r[4] for r in rows]),
        city_share=np.array([r[5] for r in rows]), topics=[r[6].split("|") for r in rows],
        diligence=diligence, lagging=lagging)


def _top_k(rng, weights: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of exactly ``k`` items drawn without replacement with probability ∝ weights."""
    keys = np.log(np.maximum(weights, 1e-12)) + rng.gumbel(size=len(weights))
    mask = np.zeros(len(weights), bool)
    if k > 0:
        mask[np.argsort(-keys, kind="stable")[:k]] = True
    return mask


def _allocate(rng, total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    counts = rng.multinomial(total - minimum * len(weights), weights / weights.sum())
    return counts + minimum


# ================================================================================================
# catalog, systems, exchange, network
# ================================================================================================

_RESOURCE_SUFFIX = ("信息", "登记信息", "基础信息", "统计数据", "名录", "台账", "明细", "变更记录", "年度汇总",
                    "监测数据", "办件信息", "审批结果", "处罚信息", "证照信息", "档案", "目录", "业务数据", "服务数据")
_SYSTEM_SUFFIX = ("管理系统", "业务系统", "信息平台", "服务平台", "监管平台", "综合平台", "数据库系统", "监测系统")
_GENERIC_SYSTEMS = ("办公自动化系统", "门户网站", "档案管理系统", "视频会议系统", "财务管理系统", "移动办公APP")


def _catalog(seed: int, as_of: datetime) -> tuple[list[tuple], dict[str, float]]:
    """Catalog rows (clean, then the deliberate bad ones) and the pooled rates of the clean rows."""
    rng = np.random.default_rng([seed, 0xCA7])
    dep = build_departments(seed)
    total = int(rng.integers(3600, 4601))
    weight = dep.size * (0.45 + 0.55 * dep.diligence)
    counts = _allocate(rng, total, weight, 8)
    n = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    dil, sens = dep.diligence[owner], dep.sens[owner]
    # 城市 data ~25%: sensors and city operations, not paperwork
    is_city = _top_k(rng, dep.city_share[owner] + 0.01, int(round(n * rng.uniform(0.23, 0.27))))
    # sharing ~85–92%; 不予共享 sits with the laggards and the sensitive departments
    share_target = rng.uniform(0.865, 0.905)
    not_shared = _top_k(rng, (0.08 + (1 - dil) ** 2 * 3) * (1 + 4 * sens), int(round(n * (1 - share_target))))
    uncond = rng.random(n) < np.clip(0.30 + 0.45 * dil - 0.35 * sens, 0.05, 0.9)
    share = np.where(not_shared, "不予共享", np.where(uncond, "无条件共享", "有条件共享"))
    # mounted (汇聚到城市数据池): 政务 ~75–85%, 城市 ~60–75%
    mounted = np.zeros(n, bool)
    mount_w = (0.05 + dil ** 3) * np.where(not_shared, 0.5, 1.0)
    for cls, lo, hi in ((False, 0.76, 0.83), (True, 0.62, 0.72)):
        idx = np.flatnonzero(is_city == cls)
        mounted[idx] = _top_k(rng, mount_w[idx], int(round(len(idx) * rng.uniform(lo, hi))))
    u = rng.random(n)
    open_type = np.where(u < 0.28, "无条件开放", np.where(u < 0.55, "有条件开放", np.where(u < 0.92, "不予开放", "")))
    open_type = np.where(not_shared, np.where(u < 0.9, "不予开放", ""), open_type)
    # last update: diligent departments keep their catalog fresh
    age = 1095 * rng.random(n) ** (1 + 2.5 * dil)
    upd = _epoch_s(as_of) - (age * 86400).astype(np.int64)
    upd = upd - upd % 86400 + rng.integers(8 * 3600, 18 * 3600, n)
    upd = np.minimum(upd, _epoch_s(as_of) - 60)
    upd_text = _fmt_ts(upd)
    no_update = rng.random(n) < 0.02

    rows = []
    for d in range(len(counts)):
        k = int(counts[d])
        topics = dep.topics[d]
        combos = [(t, s) for t in topics for s in _RESOURCE_SUFFIX]
        picks = rng.permutation(len(combos))
        for j in range(k):
            t, s = combos[picks[j % len(combos)]]
            name = f"{t}{s}" + (f"（{j // len(combos) + 1}）" if j >= len(combos) else "")
            i = len(rows)
            rows.append((f"{dep.ids[d]}-{j + 1:05d}", dep.ids[d], name, "城市" if is_city[i] else "政务",
                         str(share[i]), str(open_type[i]) or None, int(mounted[i]),
                         None if no_update[i] else upd_text[i]))
    rates = {
        "sharing_rate": float((~not_shared).mean()),
        "gov_aggregation_rate": float(mounted[~is_city].mean()),
        "city_aggregation_rate": float(mounted[is_city].mean()),
    }
    # the deliberate bad rows: a code outside the dictionary, a duplicate id, an impossible date
    first, mid = rows[0], rows[len(rows) // 2]
    last_id = dep.ids[-1]
    rows.append((f"{last_id}-90001", last_id, "辖区重点人群服务信息", "政务", "部分共享", "不予开放", 0,
                 upd_text[0]))
    rows.append((mid[0], mid[1], mid[2] + "（重复上报）", mid[3], mid[4], mid[5], mid[6], mid[7]))
    y = as_of.year - 1
    rows.append((f"{first[1]}-90002", first[1], "历史业务数据补录", "政务", "有条件共享", "有条件开放", 1,
                 f"{y}-02-30 10:00:00"))
    return rows, rates


def _systems(seed: int, as_of: datetime) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """System rows, and for the non-classified ones their migrated day (epoch days, -1 if not 已上云)."""
    rng = np.random.default_rng([seed, 0x575])
    dep = build_departments(seed)
    total = int(rng.integers(320, 391))
    counts = _allocate(rng, total, dep.size * (0.7 + 0.3 * dep.diligence), 3)
    n = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    dil, sens = dep.diligence[owner], dep.sens[owner]
    classified = _top_k(rng, 0.05 + sens ** 2 * 6, int(round(n * rng.uniform(0.075, 0.09))))
    nc = np.flatnonzero(~classified)
    cloud_target = rng.uniform(0.715, 0.765)
    on_cloud = np.zeros(n, bool)
    on_cloud[nc] = _top_k(rng, np.exp(3.5 * dil[nc]) * (1 - 0.6 * sens[nc]), int(round(len(nc) * cloud_target)))
    today = _epoch_day(as_of.date())
    status = np.full(n, "未迁移", dtype=object)
    planned = np.full(n, -1, dtype=np.int64)
    migrated = np.full(n, -1, dtype=np.int64)
    exempt = np.zeros(n, bool)
    u = rng.random(n)
    for i in range(n):
        if classified[i]:
            status[i] = "暂缓" if u[i] < 0.35 else "未迁移"
            exempt[i] = status[i] == "暂缓" and u[i] < 0.25
            continue
        if on_cloud[i]:
            status[i] = "已上云"
            planned[i] = today - int(rng.integers(20, 1095))
            late = rng.random() < 0.22
            delay = int(rng.integers(30, 220)) if late else int(rng.normal(-5, 18))
            migrated[i] = min(max(planned[i] + delay, today - 1125), today - 1)
        else:
            v = rng.random() * (0.6 + 0.8 * dil[i])
            if v < 0.12:
                status[i] = "暂缓"
                exempt[i] = rng.random() < 0.55
                planned[i] = -1 if rng.random() < 0.5 else today + int(rng.integers(120, 365))
            elif v < 0.55:
                status[i] = "未迁移"
                overdue = rng.random() < 0.8 * (1 - dil[i])
                planned[i] = today - int(rng.integers(30, 400)) if overdue else today + int(rng.integers(30, 365))
            else:
                status[i] = "迁移中"
                planned[i] = today + int(rng.integers(-60, 180))
    rows = []
    for d in range(len(counts)):
        k = int(counts[d])
        names = [t + s for t in dep.topics[d] for s in _SYSTEM_SUFFIX]
        picks = rng.permutation(len(names))
        j0 = int(owner.searchsorted(d))
        for j in range(k):
            i = j0 + j
            if j == k - 1 and k > 3:  # every department has its own office system too
                name = dep.shorts[d].removesuffix("政府") + _GENERIC_SYSTEMS[d % len(_GENERIC_SYSTEMS)]
            else:
                name = names[picks[j % len(names)]] + ("（二期）" if j >= len(names) else "")
                if dep.kinds[d] == "区县政府":
                    name = dep.shorts[d].removesuffix("政府") + name
            rows.append((f"S{i + 1:04d}", dep.ids[d], name, int(classified[i]), str(status[i]), int(exempt[i]),
                         _fmt_day([planned[i]])[0] if planned[i] >= 0 else None,
                         _fmt_day([migrated[i]])[0] if migrated[i] >= 0 else None))
    return rows, classified, migrated


def _exchange(seed: int, as_of: datetime) -> list[tuple]:
    rng = np.random.default_rng([seed, 0xE8C, _epoch_day(as_of.date())])
    dep = build_departments(seed)
    nd = len(dep.ids)
    pw = np.array([_PROVIDER_WEIGHT.get(s, 1.0) for s in dep.shorts]) * dep.diligence ** 1.5
    cw = np.array([_CONSUMER_WEIGHT.get(s, 1.0) if k != "区县政府" else 3.0 for s, k in zip(dep.shorts, dep.kinds)])
    cw = cw * (0.3 + dep.diligence)
    pw_pairs = (pw[:, None] * cw[None, :]).ravel()
    pw_pairs[np.arange(nd) * nd + np.arange(nd)] = 0  # no exchange with oneself
    n_pairs = int(rng.integers(115, 131))
    chosen = np.flatnonzero(_top_k(rng, pw_pairs, n_pairs))
    prov, cons = chosen // nd, chosen % nd
    last = _epoch_day(as_of.date()) - 1
    days = np.arange(last - EXCHANGE_DAYS + 1, last + 1)
    dow = (days + 3) % 7  # 0 = Monday
    t = (days - days[0]) / len(days)
    volume = rng.lognormal(np.log(2500), 1.2, n_pairs) * pw[prov] / pw.mean()
    per_call = np.exp(rng.uniform(np.log(3), np.log(60), n_pairs))
    file_only = rng.random(n_pairs) < 0.12  # bulk file exchange, no API calls
    growth = rng.uniform(0.15, 0.9, n_pairs)
    always_on = np.isin(np.array(dep.shorts)[prov], ("公安局", "交通运输局", "气象局", "大数据中心"))
    start = np.where(rng.random(n_pairs) < 0.78, 0, rng.integers(0, len(days) - 30, n_pairs))
    rows = []
    prov_ids, cons_ids = np.array(dep.ids)[prov], np.array(dep.ids)[cons]
    day_text = _fmt_day(days)
    for p in range(n_pairs):
        weekend = dow >= 5
        level = volume[p] * np.exp(growth[p] * t) * np.where(weekend, 0.8 if always_on[p] else 0.22, 1.0)
        level = level * np.where(dow == 0, 1.12, 1.0) * rng.lognormal(0, 0.3, len(days))
        present = (np.arange(len(days)) >= start[p]) & (rng.random(len(days)) >= np.where(weekend, 0.35, 0.03))
        records = np.round(level).astype(np.int64)
        calls = np.zeros(len(days), np.int64) if file_only[p] else np.round(level / per_call[p]).astype(np.int64)
        present &= records > 0  # a day without traffic has no row
        for i in np.flatnonzero(present):
            rows.append((day_text[i], str(prov_ids[p]), str(cons_ids[p]), int(records[i]), int(calls[i])))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def _network(seed: int) -> tuple[list[tuple], dict[str, tuple[int, int]]]:
    rng = np.random.default_rng([seed, 0x9E7])
    city, dep = build_city(seed), build_departments(seed)
    rows: list[tuple] = []
    stats = {}
    # 市: the departments and the city's party, congress and CPPCC offices
    names = list(dep.names) + [f"{CITY_NAME}委办公室", f"{CITY_NAME}人大常委会办公室", f"{CITY_NAME}政协办公室"]
    dil = np.concatenate([dep.diligence, [0.95, 0.9, 0.9]])
    conn = ~_top_k(rng, np.exp(-8 * dil), int(rng.integers(1, 4)))  # the odd laggard is still off
    rows += [(f"WS{i + 1:04d}", nm, "市", int(c)) for i, (nm, c) in enumerate(zip(names, conn))]
    stats["市"] = (int(conn.sum()), len(names))
    # 镇: one per street
    far = np.array([s["rho"] for s in city.streets]) / CITY_RADIUS_KM
    k = int(round(len(city.streets) * rng.uniform(0.87, 0.93)))
    off = _top_k(rng, np.exp(3 * far), len(city.streets) - k)
    for i, s in enumerate(city.streets):
        dname = city.districts[s["district"]]["name"]
        office = "办事处" if s["kind"] == "街道" else "人民政府"
        rows.append((f"WZ{i + 1:04d}", f"{dname}{s['name']}{office}", "镇", int(not off[i])))
    stats["镇"] = (int((~off).sum()), len(city.streets))
    # 村: communities (街道) and villages (镇)
    units = []
    combos = [h + t for h in _VILLAGE_HEAD for t in _VILLAGE_TAIL]
    for i, s in enumerate(city.streets):
        n = int(rng.integers(8, 14)) if s["kind"] == "镇" else int(rng.integers(6, 11))
        for nm in rng.choice(combos, size=n, replace=False):
            kind = "社区居委会" if s["kind"] == "街道" else "村村委会"
            units.append((f"{s['name']}{nm}{kind}", s["rho"] / CITY_RADIUS_KM + (s["kind"] == "镇")))
    w = np.exp(-2.0 * np.array([u[1] for u in units]))
    con = _top_k(rng, w, int(round(len(units) * rng.uniform(0.76, 0.84))))
    rows += [(f"WC{i + 1:04d}", u[0], "村", int(c)) for i, (u, c) in enumerate(zip(units, con))]
    stats["村"] = (int(con.sum()), len(units))
    return rows, stats


def _rising(rng, n_days: int, current: float, gain: float, noise: float = 0.003) -> np.ndarray:
    """A jumpy, mostly rising path over ``n_days`` that ends exactly at ``current``."""
    steps = rng.gamma(0.3, size=n_days)
    f = np.cumsum(steps)
    f = (f - f[0]) / max(f[-1] - f[0], 1e-12)
    wobble = np.cumsum(rng.normal(0, noise, n_days)) * 0.3 + rng.normal(0, noise, n_days)
    wobble = (wobble - wobble[-1]) * np.linspace(1, 0, n_days) ** 0.7
    return np.clip(current - gain * (1 - f) + wobble, 0, 1)


def _steps(rng, days: np.ndarray, current: int, during: int) -> np.ndarray:
    """A count that reaches ``current`` with ``during`` of its steps inside the window."""
    during = min(during, current)
    when = np.sort(rng.choice(days[1:], size=during, replace=False)) if during else np.array([], np.int64)
    return (current - during + np.searchsorted(when, days, side="right")).astype(float)


def _indicator_history(seed: int, as_of: datetime, rates: dict[str, float], systems_nc_migrated: np.ndarray,
                       network: dict[str, tuple[int, int]]) -> list[tuple]:
    rng = np.random.default_rng([seed, 0x157, _epoch_day(as_of.date())])
    today = _epoch_day(as_of.date())
    days = np.arange(today - HISTORY_DAYS + 1, today + 1)
    series: dict[str, np.ndarray] = {}
    for key, gain in (("sharing_rate", rng.uniform(0.06, 0.11)), ("gov_aggregation_rate", rng.uniform(0.10, 0.17)),
                      ("city_aggregation_rate", rng.uniform(0.12, 0.2))):
        series[key] = _rising(rng, len(days), rates[key], gain)
    mig = np.sort(systems_nc_migrated[systems_nc_migrated >= 0])
    series["cloud_migration_rate"] = np.searchsorted(mig, days, side="right") / len(systems_nc_migrated)
    connected_sum = np.zeros(len(days))
    units_sum = 0
    for level, gain in (("市", 3), ("镇", 8), ("村", 90)):
        c, n = network[level]
        counts = _steps(rng, days, c, int(min(c, gain * rng.uniform(0.7, 1.3))))
        series[f"network_rate_{level}"] = counts / n
        connected_sum += counts
        units_sum += n
    series["network_rate"] = connected_sum / units_sum
    series["six_ones"] = _steps(rng, days, 5, 1)
    series["six_databases"] = _steps(rng, days, int(rng.integers(4, 6)), 2)
    series["smart_communities"] = _steps(rng, days, int(rng.integers(3, 7)), 3)
    series["smart_towns"] = _steps(rng, days, int(rng.integers(2, 5)), 2)
    series["smart_parks"] = _steps(rng, days, int(rng.integers(1, 3)), 1)
    day_text = _fmt_day(days)
    rows = []
    for key, values in series.items():
        rows += [(key, d, round(float(v), 6)) for d, v in zip(day_text, values)]
    return rows


def _department_history(seed: int, as_of: datetime, catalog: list[tuple], systems: list[tuple]) -> list[tuple]:
    """Each department's 共享率 / 汇聚率 over the DEPARTMENT_HISTORY_DAYS days before ``as_of``, rising
    towards the value its clean catalog rows give today, and its 上云率 exactly from its systems'
    migrated dates. Today is left to the pulls, which write it from the published frames."""
    rng = np.random.default_rng([seed, 0xD47, _epoch_day(as_of.date())])
    today = _epoch_day(as_of.date())
    days = np.arange(today - DEPARTMENT_HISTORY_DAYS, today)
    day_text = _fmt_day(days)
    clean = catalog[:-DELIBERATE_QUARANTINE["catalog"]]
    rows: list[tuple] = []
    for dept in build_departments(seed).ids:
        items = [r for r in clean if r[1] == dept]
        if items:
            current = {"sharing_rate": sum(r[4] != "不予共享" for r in items) / len(items),
                       "aggregation_rate": sum(bool(r[6]) for r in items) / len(items)}
            for key, value in current.items():
                path = _rising(rng, len(days) + 1, value, rng.uniform(0.01, 0.12), noise=0.002)[:-1]
                rows += [(dept, key, d, round(float(v), 6)) for d, v in zip(day_text, path)]
        open_systems = [r for r in systems if r[1] == dept and not r[3]]
        if open_systems:
            migrated = np.sort([_epoch_day(date.fromisoformat(r[7])) for r in open_systems if r[4] == "已上云"])
            rates = np.searchsorted(migrated, days, side="right") / len(open_systems)
            rows += [(dept, "cloud_migration_rate", d, round(float(v), 6)) for d, v in zip(day_text, rates)]
    return rows
